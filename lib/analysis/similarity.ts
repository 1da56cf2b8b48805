/** Similarity straight from activations: prepare both layers, then compare. */
import { validate } from './centre';
import { compareMany } from './compare';
import { AnalysisError } from './errors';
import { prepareCka } from './cka';
import { resolveOptions } from './options';
import { prepareLayer, prepareTop } from './prepare';
import type { Activations, Metric, SimilarityOptions, SimilarityResult } from './types';

/** Several metrics between two layers, sharing one decomposition per layer and one cross term. */
export function similarities(a: Activations, b: Activations, metrics: readonly Metric[], opts?: SimilarityOptions): SimilarityResult[] {
  validate(a, 'A');
  validate(b, 'B');
  if (a.examples !== b.examples) {
    throw new AnalysisError('SHAPE_MISMATCH', `A has ${a.examples} datapoints, B has ${b.examples}; they must match`);
  }
  // One-off comparison: keep the centred rows in float64 so no kernel call has to widen them again. A single metric
  // that needs less than the whole eigensystem gets its cheaper form (top-k directions; CKA's smaller-side Gram).
  const only = (m: Metric) => metrics.length > 0 && metrics.every((x) => x === m);
  const prep = (x: Activations, label: string) =>
    only('svcca-k') ? prepareTop(x, resolveOptions(opts).k, label) : only('cka') ? prepareCka(x, label, false) : prepareLayer(x, label, true, false);
  return compareMany(prep(a, 'A'), prep(b, 'B'), metrics, opts);
}

/** One metric between two layers (neurons × datapoints each, same datapoints). */
export function similarity(a: Activations, b: Activations, metric: Metric, opts?: SimilarityOptions): SimilarityResult {
  return similarities(a, b, [metric], opts)[0];
}
