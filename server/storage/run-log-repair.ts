/**
 * Repairing a log after a crash: scan it, and cut off a torn tail (never a damaged
 * middle). Used when a writer reopens a log and when the index recovers live runs.
 */
import fs from 'node:fs';
import { promisify } from 'node:util';
import { FILE_HEADER_SIZE, encodeFileHeader } from './run-log-format';
import { scanRunLog, type ScanResult } from './run-log-reader';
import type { OpenReport } from './run-log-writer';
import { writeErrorFromFs } from './storage-error';

/** Opens an existing log for writing after scanning it and cutting a torn tail; returns its fd, end and report. */
export async function openExisting(path: string): Promise<{ fd: number; end: number; report: OpenReport }> {
  const fd = await promisify(fs.open)(path, 'r+').catch((err: unknown) => {
    throw writeErrorFromFs(err, `Cannot open ${path}`);
  });
  try {
    const { size } = await promisify(fs.fstat)(fd);
    // A crash between creating the file and writing its header leaves a (prefix of a) header: start over.
    if (size < FILE_HEADER_SIZE && isHeaderPrefix(fd, size)) {
      await promisify(fs.write)(fd, encodeFileHeader(), 0, FILE_HEADER_SIZE, 0);
      await promisify(fs.ftruncate)(fd, FILE_HEADER_SIZE);
      return { fd, end: FILE_HEADER_SIZE, report: { created: true, records: 0, droppedBytes: 0, corrupt: [] } };
    }
    const scan = await scanRunLog(path);
    if (scan.tornBytes > 0) await promisify(fs.ftruncate)(fd, scan.validEnd);
    if (scan.tornBytes > 0) await promisify(fs.fsync)(fd);
    return { fd, end: scan.validEnd, report: { created: false, records: scan.records, droppedBytes: scan.tornBytes, corrupt: scan.corrupt } };
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
}

function isHeaderPrefix(fd: number, size: number): boolean {
  const got = Buffer.alloc(size);
  fs.readSync(fd, got, 0, size, 0);
  return got.equals(Buffer.from(encodeFileHeader().subarray(0, size)));
}

/** Scans a closed log and cuts off a torn tail; returns the scan (bytes dropped = tornBytes). */
export async function repairRunLog(path: string): Promise<ScanResult> {
  const scan = await scanRunLog(path);
  if (scan.tornBytes > 0) {
    try {
      const fh = await fs.promises.open(path, 'r+');
      try {
        await fh.truncate(scan.validEnd);
        await fh.sync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw writeErrorFromFs(err, `Truncating the torn tail of ${path}`);
    }
  }
  return scan;
}
