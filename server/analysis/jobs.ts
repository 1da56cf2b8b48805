/** Messages between the analysis scheduler (main thread) and its worker threads. */
import type { Metric, PreparedLayer, SimilarityOptions } from '../../lib/analysis';
import type { ConceptsJob, ConceptsJobResult } from './concepts-job';
import type { DecodedFrame } from '../../lib/protocol';

/** One seed for every chance baseline, so the same shape always gets the same value, live or offline. */
export const CHANCE_SEED = 12345;

/** Where one layer's activations at one checkpoint sit in a run log (the worker reads them itself). */
export interface FrameRef {
  /** Cache key: run, layer and checkpoint column. */
  key: string;
  file: string;
  /** Byte offset of the record header. */
  offset: number;
  /** Payload length in bytes. */
  length: number;
  /** The layer is declared as sketches of K directions: a raw frame of it is reduced to the same sketch, so its grids stay one kind. */
  sketch?: number;
}

/** `{sketch: K}` for a layer declared as sketches, else nothing (spread into a FrameRef). */
export function sketchOf(layer: { sketch?: number } | undefined): { sketch?: number } {
  return layer?.sketch ? { sketch: layer.sketch } : {};
}

/**
 * Similarity of `b` against each of `as` (a column of pairs sharing one side); `prepared`: layers other workers made
 * (shared-layers.ts); `norms`: CKA normalisers other workers computed for these frames, by frame key.
 */
export interface PairsJob {
  op: 'pairs';
  metric: Metric;
  opts: SimilarityOptions;
  b: FrameRef;
  as: FrameRef[];
  prepared?: Record<string, PreparedLayer>;
  norms?: Record<string, number>;
}
/**
 * A frame of a checkpoint still arriving, found finite by the collector, prepared for one metric (prefetch.ts): `frame.data` is a shared-memory copy.
 * Answers the prepared layer in shared memory, or null when its form is not one the pool shares.
 */
export interface PrepareJob {
  op: 'prepare';
  metric: Metric;
  opts: SimilarityOptions;
  frame: DecodedFrame;
  sketch?: number;
}
/** Chance baseline for a shape. */
export interface ChanceJob {
  op: 'chance';
  metric: Metric;
  opts: SimilarityOptions;
  units: number;
  examples: number;
  seed: number;
  sketch?: number;
}

/** A job as queued (the pool numbers it); concept statistics: server/analysis/concepts-job.ts. */
export type JobBody = PairsJob | PrepareJob | ChanceJob | ConceptsJob;
export type WorkerOp = JobBody['op'];
/** A job as posted to a worker. */
export type WorkerJob = JobBody & { id: number };

export interface PairResult {
  value: number | null;
  /** Directions kept on the `a` side and the `b` side (SVCCA kinds). */
  k?: [number, number];
  /** Why the value is null (NaN/Inf activations, a degenerate layer). */
  error?: string;
}

/** What each op answers with when it succeeds. */
interface OpResults {
  pairs: { pairs: PairResult[]; shared?: Record<string, PreparedLayer>; norms?: Record<string, number> };
  prepare: { layer: PreparedLayer | null };
  chance: { chance: number };
  concepts: { concepts: ConceptsJobResult };
}

/** A worker's answer to a job of op `O`: its op's result, or the error it threw (with a stable code). */
export type WorkerResult<O extends WorkerOp = WorkerOp> = O extends WorkerOp
  ? ({ id: number; op: O; ok: true } & OpResults[O]) | { id: number; op: O; ok: false; code: string; message: string }
  : never;
