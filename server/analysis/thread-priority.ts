/**
 * Analysis is background work: each analysis worker thread lowers its own scheduling priority so that ingest (the
 * main thread) and the trainer win the cores when they compete, and analysis still takes every idle cycle.
 */
import os from 'node:os';

/** The analysis workers' nice value unless configured (`--analysis-nice`): CFS gives a nice-10 thread ~1/10 of a nice-0 one it competes with. */
export const DEFAULT_ANALYSIS_NICE = 10;

/**
 * Sets the calling thread's nice value to `nice` (0 = leave it); returns null, or why it could not. Linux keeps a
 * nice value per thread and setpriority(PRIO_PROCESS, 0) (libuv's os.setPriority(0)) changes the calling thread only;
 * elsewhere it would lower the whole server, so it is not done there.
 */
export function lowerThisThread(nice: number): string | null {
  if (nice === 0) return null;
  if (process.platform !== 'linux') return `a thread's own priority needs Linux, not ${process.platform}`;
  try {
    os.setPriority(0, nice);
    return null;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}
