/** Option defaults and validation shared by every metric. */
import { AnalysisError } from './errors';
import type { SimilarityOptions } from './types';

/** Default number of directions of svcca-k. */
export const DEFAULT_K = 10;
/** Default kept-variance fraction of svcca. */
export const DEFAULT_THRESHOLD = 0.99;

/** Options with defaults filled in; throws BAD_OPTION for a k that is not a positive integer or a threshold outside (0, 1]. */
export function resolveOptions(opts: SimilarityOptions | undefined): { k: number; threshold: number } {
  const k = opts?.k ?? DEFAULT_K;
  const threshold = opts?.threshold ?? DEFAULT_THRESHOLD;
  if (!Number.isInteger(k) || k < 1) throw new AnalysisError('BAD_OPTION', `k must be a positive integer, got ${k}`);
  if (!(threshold > 0 && threshold <= 1)) {
    throw new AnalysisError('BAD_OPTION', `threshold must be in (0, 1], got ${threshold}`);
  }
  return { k, threshold };
}

/**
 * Fewest leading eigenvalues whose sum reaches `threshold` of the total (the 99% rule); `total` defaults to their sum
 * (given when `values` holds only the leading ones). values.length + 1 when the held ones do not reach it.
 */
export function keepForVariance(values: Float64Array, threshold: number, total = sum(values)): number {
  if (total <= 0) return 0;
  let acc = 0;
  for (let i = 0; i < values.length; i++) {
    acc += values[i];
    if (acc / total >= threshold) return i + 1;
  }
  // Rounding can leave the sum of all a hair under the total: only a known, larger total means "not reached".
  return acc >= total * (1 - 1e-12) ? values.length : values.length + 1;
}

function sum(values: Float64Array): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}
