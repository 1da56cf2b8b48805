/** After a crash: a checkpoint whose frames were not all written is cut from the end of its log, so it reads as never stored (and a resend is stored, not taken for a duplicate). */
import { existsSync } from 'node:fs';
import { truncate } from 'node:fs/promises';
import { readRunLog } from '../storage/run-log-reader';
import { RECORD_KIND } from './records';

/** Truncates the log before its last checkpoint if that checkpoint lacks frames; returns the bytes cut. */
export async function trimIncompleteCheckpoint(file: string): Promise<number> {
  if (!existsSync(file)) return 0;
  let last: { offset: number; layers: number } | null = null;
  // Pass 1: JSON records only (frames are skipped without reading them).
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message] })) {
    try {
      const msg = JSON.parse(rec.payload.toString('utf8')) as { type?: string; layers?: unknown[] };
      if (msg.type === 'checkpoint' && Array.isArray(msg.layers)) last = { offset: rec.offset, layers: msg.layers.length };
    } catch {
      // not a message we can read: not a checkpoint header
    }
  }
  if (!last) return 0;
  // Pass 2: from that header on, count the frames that follow it.
  let frames = 0;
  let end = last.offset;
  let first = true;
  for await (const rec of readRunLog(file, { from: last.offset })) {
    end = rec.offset + 24 + ((rec.payload.length + 7) & ~7);
    if (first) {
      first = false;
      continue;
    }
    // The collector writes a NON_FINITE warning right after a frame with NaN/Inf, before the checkpoint's next frame.
    if (rec.kind === RECORD_KIND.event) continue;
    if (rec.kind !== RECORD_KIND.frame) break;
    frames++;
  }
  if (frames >= last.layers) return 0;
  await truncate(file, last.offset);
  return end - last.offset;
}
