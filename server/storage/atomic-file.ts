/** Crash-safe small-file replacement: a reader sees the old contents or the new, never a mix. */
import fs from 'node:fs/promises';
import path from 'node:path';
import { writeErrorFromFs } from './storage-error';

let counter = 0;

/** Writes `data` to a temp file beside `file`, fsyncs it, renames it over `file` and fsyncs the directory. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  try {
    const fh = await fs.open(tmp, 'w');
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    throw writeErrorFromFs(err, `Writing ${file}`);
  }
  await syncDir(path.dirname(file));
}

/** fsyncs a directory so a rename or create in it survives a power cut (best effort where unsupported). */
export async function syncDir(dir: string): Promise<void> {
  try {
    const fh = await fs.open(dir, 'r');
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
  } catch {
    // Some platforms and filesystems cannot fsync a directory; the rename is still atomic there.
  }
}

/** Whether a name is one of writeFileAtomic's leftovers (a crash between write and rename). */
export function isAtomicLeftover(name: string): boolean {
  return /\.\d+\.\d+\.tmp$/.test(name);
}
