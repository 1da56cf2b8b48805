/** Messages between the analysis scheduler (main thread) and its worker threads. */
import type { Metric, PreparedLayer, SimilarityOptions } from '../../lib/analysis';
import type { ConceptsJob, ConceptsJobResult } from './concepts-job';

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

export type WorkerJob =
  /** Similarity of `b` against each of `as` (a column of pairs sharing one side); `prepared`: layers other workers made (shared-layers.ts). */
  | { id: number; op: 'pairs'; metric: Metric; opts: SimilarityOptions; b: FrameRef; as: FrameRef[]; prepared?: Record<string, PreparedLayer> }
  /** Chance baseline for a shape. */
  | { id: number; op: 'chance'; metric: Metric; opts: SimilarityOptions; units: number; examples: number; seed: number; sketch?: number }
  /** Forget cached layers whose key starts with a prefix (a run closed). */
  | { id: number; op: 'forget'; prefix: string }
  /** Concept statistics of one layer at one checkpoint (server/analysis/concepts-job.ts). */
  | ({ id: number } & ConceptsJob);

export interface PairResult {
  value: number | null;
  /** Directions kept on the `a` side and the `b` side (SVCCA kinds). */
  k?: [number, number];
  /** Why the value is null (NaN/Inf activations, a degenerate layer). */
  error?: string;
}

export type WorkerResult =
  | { id: number; ok: true; pairs?: PairResult[]; chance?: number; concepts?: ConceptsJobResult; shared?: Record<string, PreparedLayer> }
  | { id: number; ok: false; code: string; message: string };
