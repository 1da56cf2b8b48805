/**
 * Layers prepared while their checkpoint is still arriving. A wide checkpoint takes seconds on the wire (302 MB for the
 * ResNet-like bench), and its "to newest" column cannot start before the whole of it is stored; but each layer's top-k
 * basis needs only that layer's frame. So each frame that arrives (valid, finite, and to be stored byte for byte as it
 * came) is queued, and when a live worker is free it is copied to shared memory and the worker prepares it. When the checkpoint is stored, its column's jobs find the
 * basis under the frame's cache key, as if a worker had read it from the log; a checkpoint that is never stored
 * (dropped, cut off) leaves its prepared layers unclaimed, and they go with the frames they were made from.
 */
import type { PreparedLayer, SimilarityOptions } from '../../lib/analysis';
import type { DecodedFrame, MetricName } from '../../lib/protocol';
import { PRIORITY, type AnalysisPool } from './pool';

/** The only metric prepared ahead: its basis is small (k × examples) and shared between workers (shared-layers.ts). */
export const PREFETCHED_METRIC: MetricName = 'svcca-k';
/** Frames smaller than this are prepared in milliseconds once stored: not worth a copy and a job of their own. */
export const PREFETCH_MIN_BYTES = 1 << 20;
/**
 * Shared memory for copies of arriving frames, in use (being prepared) and kept for reuse, unless configured
 * (`--prefetch-mb`); a frame that does not fit is prepared once stored, as before.
 */
export const PREFETCH_MAX_BYTES = 128 * (1 << 20);

/**
 * Shared-memory buffers reused by size. Fresh memory costs its first-touch page faults, here more than the copy itself:
 * 302 MB of new SharedArrayBuffers took 1.3 s on this machine, against 0.15 s into reused ones (docs/performance.md).
 * Checkpoints repeat their layers' sizes, so after the first the copies land in warm buffers.
 */
export class SharedBuffers {
  private readonly free = new Map<number, SharedArrayBuffer[]>();
  private inUse = 0;
  private kept = 0;

  constructor(readonly max: number) {}

  /** A buffer of `bytes`, or null when in-use buffers already fill the bound (kept ones of other sizes make room). */
  acquire(bytes: number): SharedArrayBuffer | null {
    const reused = this.free.get(bytes)?.pop();
    if (reused) {
      this.kept -= bytes;
      this.inUse += bytes;
      return reused;
    }
    if (this.inUse + bytes > this.max) return null;
    for (const [size, list] of this.free) {
      while (list.length && this.inUse + this.kept + bytes > this.max) {
        list.pop();
        this.kept -= size;
      }
    }
    this.inUse += bytes;
    return new SharedArrayBuffer(bytes);
  }

  /** Gives a buffer back once no thread reads it any more. */
  release(buffer: SharedArrayBuffer): void {
    const bytes = buffer.byteLength;
    this.inUse -= bytes;
    if (this.inUse + this.kept + bytes > this.max) return;
    const list = this.free.get(bytes) ?? [];
    list.push(buffer);
    this.free.set(bytes, list);
    this.kept += bytes;
  }
}

/** One frame queued to be prepared ahead. */
interface Entry {
  /** The frame as it arrived, until a worker takes the job (or its checkpoint is stored first): then let go. */
  frame: DecodedFrame | null;
  /** The shared-memory copy a worker reads, once started. */
  buffer: SharedArrayBuffer | null;
  prepared: Promise<PreparedLayer | null>;
}

export class Prefetch {
  /** By the frame object as it arrived: the registry hands the same object over when the checkpoint is stored. */
  private readonly entries = new WeakMap<DecodedFrame, Entry>();
  private readonly buffers: SharedBuffers;
  /**
   * Frames queued to be prepared ahead, those a worker started on, and those of them their stored checkpoint used
   * (GET /api/stats; benches and tests).
   */
  readonly counts = { queued: 0, started: 0, claimed: 0 };
  private readonly inflight = new Set<Promise<unknown>>();

  /** `maxBytes`: the shared memory for frame copies (0: nothing is prepared ahead). */
  constructor(
    private readonly pool: AnalysisPool,
    maxBytes = PREFETCH_MAX_BYTES,
  ) {
    this.buffers = new SharedBuffers(maxBytes);
  }

  /**
   * Queues a frame of an open checkpoint to be prepared for `metric` when a live worker is free (only then is it copied
   * to shared memory); false when it is not queued (too small, another metric, nothing prepared ahead).
   */
  start(frame: DecodedFrame, metric: MetricName, opts: SimilarityOptions, sketch?: number): boolean {
    const bytes = frame.data.byteLength;
    if (metric !== PREFETCHED_METRIC || bytes < PREFETCH_MIN_BYTES || !this.buffers.max) return false;
    const entry: Entry = { frame, buffer: null, prepared: Promise.resolve(null) };
    const make = () => {
      const from = entry.frame;
      entry.frame = null;
      // Claimed before a worker was free (its checkpoint is stored: the column's own jobs prepare it), or no memory left.
      entry.buffer = from && this.buffers.acquire(bytes);
      if (!from || !entry.buffer) return null;
      // A copy the worker reads in place: the frame's own bytes stay here, to be stored.
      const data = new Float32Array(entry.buffer);
      data.set(from.data);
      this.counts.started++;
      return { op: 'prepare' as const, metric, opts, frame: { ...from, data }, ...(sketch ? { sketch } : {}) };
    };
    // Whatever goes wrong here (a degenerate layer, the pool closing) is met again, and reported, when the stored frame is prepared.
    entry.prepared = this.pool.run(make, PRIORITY.newest).then(
      (res) => (res.ok ? res.layer : null),
      () => null,
    );
    // The worker has answered (or never will): it reads the copy no more.
    const done = entry.prepared.finally(() => {
      if (entry.buffer) this.buffers.release(entry.buffer);
      this.inflight.delete(done);
    });
    this.inflight.add(done);
    this.entries.set(frame, entry);
    this.counts.queued++;
    return true;
  }

  /** Resolves when no preparation is queued or running. */
  async idle(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /**
   * What was prepared, or is being prepared, of this frame object (handed out once). A frame whose preparation has not
   * started is let go instead: the stored checkpoint's jobs prepare it, and the queue does not hold its memory.
   */
  take(frame: DecodedFrame): Promise<PreparedLayer | null> | undefined {
    const entry = this.entries.get(frame);
    if (!entry) return undefined;
    this.entries.delete(frame);
    if (entry.frame) {
      entry.frame = null;
      return undefined;
    }
    if (!entry.buffer) return undefined;
    this.counts.claimed++;
    return entry.prepared;
  }
}
