/**
 * Replaying a stored run with its original pacing: the same records readRunLog
 * yields, each released when its receive time (relative to the first, divided by
 * speed) comes due, so views and analysis consume replay exactly like live input.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { readRunLog, type LogRecord, type ReadOptions } from './run-log-reader';

/** Options of replayRecords; the read options select where to start and which kinds. */
export interface ReplayOptions extends Omit<ReadOptions, 'to'> {
  /** 1 replays in real time, 10 ten times faster, Infinity as fast as possible. Default 1. */
  speed?: number;
  /** Stops the replay; the generator then throws the signal's reason. */
  signal?: AbortSignal;
  /** Longest pause between two records after scaling (ms), so idle hours do not stall a replay. Default Infinity. */
  maxGapMs?: number;
}

/** Yields a log's records in order, paced by their original timestamps divided by `speed`. */
export async function* replayRecords(path: string, opts: ReplayOptions = {}): AsyncGenerator<LogRecord, void, undefined> {
  const speed = opts.speed ?? 1;
  if (!(speed > 0)) throw new RangeError(`Replay speed must be > 0 (got ${speed}).`);
  const maxGap = opts.maxGapMs ?? Infinity;
  const { signal } = opts;
  signal?.throwIfAborted();
  // A schedule against one start instant, not sleeps between records, so the delays do not drift.
  let start = 0;
  let due = 0;
  let prevTime: number | null = null;
  for await (const rec of readRunLog(path, opts)) {
    signal?.throwIfAborted();
    if (prevTime === null) {
      start = performance.now();
    } else if (speed !== Infinity) {
      // Clocks can step backwards between records; never wait a negative time.
      due += Math.min(Math.max(0, rec.time - prevTime) / speed, maxGap);
      const wait = start + due - performance.now();
      if (wait > 0) {
        try {
          await sleep(wait, undefined, signal ? { signal } : undefined);
        } catch (err) {
          signal?.throwIfAborted();
          throw err;
        }
      }
    }
    prevTime = rec.time;
    yield rec;
  }
}
