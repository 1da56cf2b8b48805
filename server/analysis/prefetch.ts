/**
 * Layers prepared while their checkpoint is still arriving. A wide checkpoint takes seconds on the wire (302 MB for the
 * ResNet-like bench), and its "to newest" column cannot start before the whole of it is stored; but each layer's top-k
 * basis needs only that layer's frame. So as each frame arrives (valid, finite, and to be stored byte for byte as it
 * came), a live worker prepares it from a shared-memory copy. When the checkpoint is stored, its column's jobs find the
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
 * Shared memory for copies of arriving frames, in use (queued or being prepared) and kept for reuse, unless configured
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

  constructor(private readonly max: number) {}

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

export class Prefetch {
  /** By the frame object as it arrived: the registry hands the same object over when the checkpoint is stored. */
  private readonly started = new WeakMap<DecodedFrame, Promise<PreparedLayer | null>>();
  private readonly buffers: SharedBuffers;
  /** Frames whose preparation started, and those of them claimed by their stored checkpoint (GET /api/stats; benches and tests). */
  readonly counts = { started: 0, claimed: 0 };
  private readonly inflight = new Set<Promise<unknown>>();

  /** `maxBytes`: the shared memory for frame copies (0: nothing is prepared ahead). */
  constructor(
    private readonly pool: AnalysisPool,
    maxBytes = PREFETCH_MAX_BYTES,
  ) {
    this.buffers = new SharedBuffers(maxBytes);
  }

  /** Starts preparing a frame of an open checkpoint for `metric`; false when it is not (too small, another metric, the memory bound reached). */
  start(frame: DecodedFrame, metric: MetricName, opts: SimilarityOptions, sketch?: number): boolean {
    const bytes = frame.data.byteLength;
    // Only where a live worker will take it next: with live work waiting, the analysis is behind, and preparing this
    // frame early would only cost its copy (a frame skipped here is prepared once stored, as before).
    if (metric !== PREFETCHED_METRIC || bytes < PREFETCH_MIN_BYTES || this.pool.liveQueued > 0) return false;
    const buffer = this.buffers.acquire(bytes);
    if (!buffer) return false;
    // A copy the worker reads in place: the frame's own bytes stay here, to be stored.
    const data = new Float32Array(buffer);
    data.set(frame.data);
    const job = { op: 'prepare' as const, metric, opts, frame: { ...frame, data }, ...(sketch ? { sketch } : {}) };
    // Whatever goes wrong here (a degenerate layer, the pool closing) is met again, and reported, when the stored frame is prepared.
    const prepared = this.pool.run(job, PRIORITY.newest).then(
      (res) => (res.ok ? res.layer : null),
      () => null,
    );
    // The worker has answered (or never will): it reads the copy no more.
    const done = prepared.finally(() => {
      this.buffers.release(buffer);
      this.inflight.delete(done);
    });
    this.inflight.add(done);
    this.started.set(frame, prepared);
    this.counts.started++;
    return true;
  }

  /** Resolves when no preparation is queued or running. */
  async idle(): Promise<void> {
    await Promise.all([...this.inflight]);
  }

  /** The preparation started for this frame object, if any (handed out once). */
  take(frame: DecodedFrame): Promise<PreparedLayer | null> | undefined {
    const p = this.started.get(frame);
    if (!p) return undefined;
    this.started.delete(frame);
    this.counts.claimed++;
    return p;
  }
}
