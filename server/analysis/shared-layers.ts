/**
 * Small prepared layers (top-k bases, sketches) shared between the analysis workers: a worker hands back what it
 * prepared in shared memory, the pool keeps the newest ones (bounded) and attaches them to later jobs, so a column of
 * "to newest" cells runs on whichever worker is free without preparing an earlier checkpoint again.
 */
import type { PreparedLayer, SimilarityOptions } from '../../lib/analysis';
import type { FrameRef } from './jobs';

/** CKA normalisers (one number per frame) the pool and each worker keep: every layer of 10,000 checkpoints of 10 layers. */
export const NORMS_KEPT = 100_000;

/** Layers larger than this stay in the worker that made them (CKA's centred neurons: cheap to rebuild per pair anyway). */
export const SHARE_MAX_BYTES = 4 * 1024 * 1024;
const BOUND_BYTES = Number(process.env.LAYERWATCH_SHARED_LAYERS_MB ?? 256) * 1024 * 1024;

/** The cache key of a frame prepared for a metric and options (the same in every worker and in the pool). */
export function layerKey(ref: Pick<FrameRef, 'key' | 'sketch'>, metric: string, opts: SimilarityOptions): string {
  return `${ref.key}|${metric}|${opts.k ?? ''}|${opts.threshold ?? ''}|${ref.sketch ?? ''}`;
}

/** A copy of `p` whose basis rows live in a SharedArrayBuffer (posting it to another thread then copies only the small arrays). */
export function inSharedMemory(p: PreparedLayer): PreparedLayer {
  if (p.rows.buffer instanceof SharedArrayBuffer) return p;
  const sab = new SharedArrayBuffer(p.rows.byteLength);
  const rows = p.rows instanceof Float32Array ? new Float32Array(sab) : new Float64Array(sab);
  rows.set(p.rows);
  return { ...p, rows };
}

/** The pool's side: the newest shared layers by key, least recently used dropped past the bound. */
export class SharedLayers {
  private readonly map = new Map<string, { layer: PreparedLayer; bytes: number }>();
  private bytes = 0;

  /** Keeps layers a worker handed back. */
  add(layers: Record<string, PreparedLayer> | undefined): void {
    for (const [key, layer] of Object.entries(layers ?? {})) {
      if (this.map.has(key)) continue;
      const bytes = layer.rows.byteLength + layer.values.byteLength + 256;
      this.map.set(key, { layer, bytes });
      this.bytes += bytes;
    }
    for (const [key, v] of this.map) {
      if (this.bytes <= BOUND_BYTES) break;
      this.map.delete(key);
      this.bytes -= v.bytes;
    }
  }

  /** The shared layers a job's frames need, by key (refreshing them as recently used). */
  pick(keys: string[]): Record<string, PreparedLayer> | undefined {
    let out: Record<string, PreparedLayer> | undefined;
    for (const key of keys) {
      const hit = this.map.get(key);
      if (!hit) continue;
      this.map.delete(key);
      this.map.set(key, hit);
      (out ??= {})[key] = hit.layer;
    }
    return out;
  }
}
