/**
 * A run's exported log: its log.lwlog (the trainer's records and server events, kinds 1–3) followed by the records of
 * its analysis.lwlog (kind 4), in one version-1 file. Kind 4 has always been a kind of format version 1, so older
 * readers read an export as a plain log and skip the analysis; an import puts the kind-4 records back into the run's
 * analysis.lwlog. A log without kind-4 records (an older export, another writer's log) is still a complete log.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Readable } from 'node:stream';
import { encodeFileHeader, FILE_HEADER_SIZE, RecordKind, recordSize } from './run-log-format';
import { readRunLog, scanRunLog } from './run-log-reader';
import { RunLogWriter } from './run-log-writer';
import { writeErrorFromFs } from './storage-error';

/** What an export streams: log bytes [0, logEnd), then the analysis log's valid record ranges. */
export interface BundlePlan {
  log: string;
  logEnd: number;
  analysis: string;
  /** Byte ranges [from, to) of valid analysis records (a damaged stretch is left out, so the export reads strictly). */
  ranges: Array<[number, number]>;
  /** Total bytes of the export. */
  size: number;
}

/**
 * Plans the export of a run's logs. `logEnd` says where the log's records end (a live log's size once flushed); by
 * default the log is scanned for its last valid record.
 */
export async function planBundle(
  log: string,
  analysis: string,
  logEnd: () => Promise<number> = async () => (await scanRunLog(log)).validEnd,
): Promise<BundlePlan> {
  // The analysis is read first: every record in it describes checkpoints that were in the log before it was written,
  // so an export of a live run never carries analysis of a checkpoint it does not hold.
  const ranges = await validRanges(analysis);
  const end = await logEnd();
  const size = end + ranges.reduce((n, [a, b]) => n + b - a, 0);
  return { log, logEnd: end, analysis, ranges, size };
}

/** The valid record ranges of an analysis log (none when it does not exist or cannot be read). */
async function validRanges(file: string): Promise<Array<[number, number]>> {
  const scan = await scanRunLog(file).catch(() => null);
  if (!scan) return [];
  const ranges: Array<[number, number]> = [];
  let at = FILE_HEADER_SIZE;
  for (const bad of scan.corrupt) {
    if (bad.offset > at) ranges.push([at, bad.offset]);
    at = bad.offset + bad.length;
  }
  if (scan.validEnd > at) ranges.push([at, scan.validEnd]);
  return ranges;
}

/** The export's bytes, read from the two logs as planned. */
export function bundleStream(plan: BundlePlan): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    if (plan.logEnd > 0) yield* createReadStream(plan.log, { start: 0, end: plan.logEnd - 1 });
    for (const [from, to] of plan.ranges) yield* createReadStream(plan.analysis, { start: from, end: to - 1 });
  }
  return Readable.from(bytes(), { objectMode: false });
}

/**
 * Moves the kind-4 records of a (strictly validated) log into `analysisFile`, leaving kinds 1–3 in `logFile`; returns
 * how many it moved. An export keeps them at the end (a byte split); records mixed in elsewhere are sorted out one by one.
 */
export async function splitBundle(logFile: string, analysisFile: string): Promise<number> {
  let first = -1;
  let next = -1;
  let count = 0;
  let trailing = true;
  for await (const rec of readRunLog(logFile, { kinds: [RecordKind.Analysis] })) {
    if (first < 0) first = rec.offset;
    else if (rec.offset !== next) trailing = false;
    next = rec.offset + recordSize(rec.payload.length);
    count++;
  }
  if (!count) return 0;
  const { size } = await fs.stat(logFile);
  try {
    if (trailing && next === size) await splitTail(logFile, analysisFile, first, size);
    else await sortRecords(logFile, analysisFile);
  } catch (err) {
    throw writeErrorFromFs(err, 'Separating the stored analysis from the log');
  }
  return count;
}

/** The analysis records are the file's tail: copy them behind a file header, then cut them off the log. */
async function splitTail(logFile: string, analysisFile: string, from: number, size: number): Promise<void> {
  const out = await fs.open(analysisFile, 'wx');
  try {
    await out.write(encodeFileHeader());
    const src = await fs.open(logFile, 'r');
    try {
      const buf = Buffer.allocUnsafe(Math.min(8 << 20, size - from));
      for (let at = from; at < size; ) {
        const { bytesRead } = await src.read(buf, 0, Math.min(buf.length, size - at), at);
        if (bytesRead === 0) break;
        await out.write(buf.subarray(0, bytesRead));
        at += bytesRead;
      }
    } finally {
      await src.close();
    }
    await out.sync();
  } finally {
    await out.close();
  }
  await fs.truncate(logFile, from);
}

/** Records of both sorts interleaved (not our export): rewrite the log without them, and the analysis log with them. */
async function sortRecords(logFile: string, analysisFile: string): Promise<void> {
  const sorted = `${logFile}.sorting`;
  const log = await RunLogWriter.open(sorted, { exclusive: true });
  const analysis = await RunLogWriter.open(analysisFile, { exclusive: true });
  try {
    for await (const rec of readRunLog(logFile)) {
      const w = rec.kind === RecordKind.Analysis ? analysis : log;
      w.append(rec.kind, rec.payload, rec.time, rec.flags);
      if (w.needsDrain) await w.flush();
    }
    await Promise.all([log.sync(), analysis.sync()]);
  } finally {
    await Promise.all([log.close(), analysis.close()]);
  }
  await fs.rename(sorted, logFile);
}
