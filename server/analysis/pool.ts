/** A pool of analysis worker threads fed from one priority queue, so urgent work overtakes backfill and obsolete work is dropped. */
import os from 'node:os';
import { Worker } from 'node:worker_threads';
import { BUNDLED } from '../project-root';
import type { PreparedLayer } from '../../lib/analysis';
import type { JobBody, WorkerResult } from './jobs';
import { layerKey, NORMS_KEPT, SharedLayers } from './shared-layers';
import { BoundedMap } from '../../lib/bounded-map';
import { DEFAULT_ANALYSIS_NICE } from './thread-priority';

/**
 * A job, or what makes it when a worker takes it (null: no longer wanted, dropped as obsolete): what a job carries can
 * then be made as late as possible (prefetch.ts copies a frame to shared memory only when a worker is free for it).
 */
export type JobSource<J extends JobBody> = J | (() => J | null);

interface Task {
  job: JobSource<JobBody>;
  stillWanted?: () => boolean;
  resolve: (r: WorkerResult) => void;
  reject: (e: Error) => void;
}

/** A task a worker took, its job made. */
type Started = Task & { job: JobBody };

/** Live workers take the newest checkpoint's work and requests; background workers take backfill, concepts and baselines. */
type WorkerRole = 'live' | 'background';

interface Slot {
  worker: Worker;
  role: WorkerRole;
  busy: Started | null;
}

/** How many nice steps below the live workers the background workers run: CFS then gives a live worker ~3× a background one's share of a core. */
export const BACKGROUND_NICE_STEPS = 5;
const MAX_NICE = 19;

/** What each analysis worker is started with. */
export interface AnalysisWorkerData {
  nice: number;
  /** Say on stderr when the priority cannot be lowered. */
  report: boolean;
}

/** Thrown for a task dropped because newer work made it pointless (or the pool closed). */
export class ObsoleteError extends Error {
  readonly code = 'OBSOLETE';
}

/** Whether a job's rejection only says the work is no longer wanted (superseded, cancelled, the pool closing): not a failure. */
export function isObsolete(err: unknown): boolean {
  return err instanceof ObsoleteError;
}

/** Queue length at which obsolete tasks are first swept out. */
const SWEEP_MIN = 1024;

/** One shared rejection for dropped work: thousands of dropped jobs should not each build an Error with a stack. */
const SUPERSEDED = new ObsoleteError('superseded by a newer checkpoint');

/**
 * Priorities: lower runs first. Live workers take `newest` to `column` (`column`: the newest checkpoint's "to newest"
 * work of the later live metrics, such as CKA, in small jobs: job-size.ts); background workers take `backfill` and `idle`.
 */
export const PRIORITY = { newest: 0, request: 1, column: 2, backfill: 3, idle: 4 } as const;

export class AnalysisPool {
  private readonly workers: Slot[] = [];
  private readonly queues: Array<Fifo<Task>> = Object.values(PRIORITY).map(() => new Fifo<Task>());
  private nextId = 1;
  private sweepAt = SWEEP_MIN;
  private closed = false;
  private readonly shared = new SharedLayers();
  /** CKA normalisers the workers computed, by frame key (attached to later jobs on those frames). */
  private readonly norms = new BoundedMap<string, number>(NORMS_KEPT);
  readonly size: number;
  private readonly nice: number;
  private spawned = 0;

  /**
   * `size` live workers, which take only newest-first, request and newest-column work, so a new checkpoint's stability,
   * "to newest" cells and advice evidence never wait behind backfill, concepts or chance baselines; and max(1, size − 1)
   * background workers, which take only that background work, at a lower OS priority (`BACKGROUND_NICE_STEPS` below the
   * live ones), so when a checkpoint arrives the kernel hands the cores to its work at once instead of after a
   * background job that can run for seconds (a wide layer's concept statistics). Live workers run at `nice` (0–19;
   * 0 = the server's own priority: thread-priority.ts).
   */
  constructor(size = Math.max(2, os.availableParallelism() - 1), opts: { nice?: number } = {}) {
    this.size = size;
    this.nice = opts.nice ?? DEFAULT_ANALYSIS_NICE;
    for (let i = 0; i < size; i++) this.spawn('live');
    for (let i = 0; i < Math.max(1, size - 1); i++) this.spawn('background');
  }

  private spawn(role: WorkerRole): void {
    // From sources the worker needs the TypeScript loader (worker-entry.mjs); the bundled CLI ships a bundled worker beside it.
    const entry = BUNDLED ? new URL('./analysis-worker.mjs', import.meta.url) : new URL('./worker-entry.mjs', import.meta.url);
    // Only the first worker says it when its priority cannot be lowered: the others would say the same.
    const nice = role === 'live' ? this.nice : Math.min(MAX_NICE, this.nice + BACKGROUND_NICE_STEPS);
    const workerData: AnalysisWorkerData = { nice, report: this.spawned++ === 0 };
    const worker = new Worker(entry, { env: process.env, workerData });
    const slot: Slot = { worker, role, busy: null };
    worker.unref();
    worker.on('message', (result: WorkerResult) => {
      if (result.ok && result.op === 'pairs') {
        this.shared.add(result.shared);
        for (const [k, v] of Object.entries(result.norms ?? {})) this.norms.set(k, v);
      }
      const task = slot.busy;
      slot.busy = null;
      // What makes `run`'s result type true: a worker answers each job with a result of the job's op.
      if (task && task.job.op !== result.op)
        task.reject(Object.assign(new Error(`analysis worker answered a ${task.job.op} job with a ${result.op} result`), { code: 'ANALYSIS_FAILED' }));
      else task?.resolve(result);
      this.pump();
    });
    worker.on('error', (err) => {
      slot.busy?.reject(err);
      slot.busy = null;
    });
    worker.on('exit', () => {
      const i = this.workers.indexOf(slot);
      if (i >= 0) this.workers.splice(i, 1);
      slot.busy?.reject(new Error('analysis worker exited'));
      if (!this.closed) this.spawn(slot.role);
      this.pump();
    });
    this.workers.push(slot);
  }

  /**
   * Queues a job; resolves with its op's result (or the error the worker met). `stillWanted` is asked right before it
   * starts, and a false answer drops it (rejecting with ObsoleteError); so does a job source that makes no job.
   */
  run<J extends JobBody>(job: JobSource<J>, priority: number, stillWanted?: () => boolean): Promise<WorkerResult<J['op']>> {
    if (this.closed) return Promise.reject(new ObsoleteError('analysis pool closed'));
    return new Promise((resolve, reject) => {
      // The message handler checks the answer's op against the job's, so the result is of this job's op.
      const task: Task = { job, stillWanted, resolve: (r) => resolve(r as WorkerResult<J['op']>), reject };
      this.queues[Math.min(Math.max(priority, 0), this.queues.length - 1)].push(task);
      this.sweep();
      this.pump();
    });
  }

  /** The first wanted task of priorities `from`..`to`, in priority order, with its job made. */
  private next(from: number, to: number): Started | undefined {
    for (const q of this.queues.slice(from, to + 1)) {
      while (q.length) {
        const task = q.shift();
        const job = !task.stillWanted || task.stillWanted() ? (typeof task.job === 'function' ? task.job() : task.job) : null;
        if (job) return { ...task, job };
        task.reject(SUPERSEDED);
      }
    }
    return undefined;
  }

  /**
   * When the queue has doubled since the last sweep, drops every task no longer wanted (amortised O(1) per job). Without
   * it, backfill superseded by newer checkpoints waits in the queue until its turn: 100k+ jobs and 200+ MB of heap
   * after 1,000 checkpoints that arrive faster than they can be analysed.
   */
  private sweep(): void {
    if (this.queued < this.sweepAt) return;
    for (const q of this.queues) {
      q.retain((task) => {
        if (!task.stillWanted || task.stillWanted()) return true;
        task.reject(SUPERSEDED);
        return false;
      });
    }
    this.sweepAt = Math.max(SWEEP_MIN, 2 * this.queued);
  }

  private pump(): void {
    for (const slot of this.workers) {
      if (slot.busy) continue;
      const task = slot.role === 'live' ? this.next(PRIORITY.newest, PRIORITY.column) : this.next(PRIORITY.backfill, PRIORITY.idle);
      if (!task) continue;
      slot.busy = task;
      slot.worker.postMessage({ ...task.job, ...this.attachments(task.job), id: this.nextId++ });
    }
  }

  /**
   * Layers other workers already prepared for a pairs job's frames (so any worker can take it without preparing them
   * again), and the CKA normalisers known for them.
   */
  private attachments(job: JobBody): { prepared?: Record<string, PreparedLayer>; norms?: Record<string, number> } {
    if (job.op !== 'pairs') return {};
    const refs = [job.b, ...job.as];
    const prepared = this.shared.pick(refs.map((r) => layerKey(r, job.metric, job.opts)));
    let norms: Record<string, number> | undefined;
    if (job.metric === 'cka') {
      for (const r of refs) {
        const v = this.norms.get(r.key);
        if (v !== undefined) (norms ??= {})[r.key] = v;
      }
    }
    return { ...(prepared ? { prepared } : {}), ...(norms ? { norms } : {}) };
  }

  /** Offers a layer prepared elsewhere (prefetch.ts) to later jobs on its frame, under its cache key. */
  share(key: string, layer: PreparedLayer): void {
    this.shared.add({ [key]: layer });
  }

  /** Jobs waiting (not running). */
  get queued(): number {
    return this.queues.reduce((n, q) => n + q.length, 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const q of this.queues) for (const t of q.drain()) t.reject(new ObsoleteError('pool closed'));
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
  }
}

/** A FIFO queue with O(1) push and shift (Array#shift is O(n): quadratic with tens of thousands of queued jobs). */
class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  /** Removes and returns the oldest item (the queue must not be empty). */
  shift(): T {
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the items `keep` accepts, in order. */
  retain(keep: (item: T) => boolean): void {
    this.items = this.items.slice(this.head).filter(keep);
    this.head = 0;
  }

  /** Removes and returns every item. */
  drain(): T[] {
    const all = this.items.slice(this.head);
    this.items = [];
    this.head = 0;
    return all;
  }
}
