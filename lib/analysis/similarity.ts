/** Similarity straight from activations: prepare both layers, then compare. */
import { validate } from './centre';
import { compareMany } from './compare';
import { AnalysisError } from './errors';
import { prepareLayer } from './prepare';
import type { Activations, Metric, SimilarityOptions, SimilarityResult } from './types';

/** Several metrics between two layers, sharing one decomposition per layer and one cross term. */
export function similarities(a: Activations, b: Activations, metrics: readonly Metric[], opts?: SimilarityOptions): SimilarityResult[] {
  validate(a, 'A');
  validate(b, 'B');
  if (a.examples !== b.examples) {
    throw new AnalysisError('SHAPE_MISMATCH', `A has ${a.examples} datapoints, B has ${b.examples}; they must match`);
  }
  const eigen = metrics.some((m) => m !== 'cka');
  // One-off comparison: keep the centred rows in float64 so no kernel call has to widen them again.
  return compareMany(prepareLayer(a, 'A', eigen, false), prepareLayer(b, 'B', eigen, false), metrics, opts);
}

/** One metric between two layers (neurons × datapoints each, same datapoints). */
export function similarity(a: Activations, b: Activations, metric: Metric, opts?: SimilarityOptions): SimilarityResult {
  return similarities(a, b, [metric], opts)[0];
}
