/**
 * How much work one analysis job carries: a job runs to its end on its worker, so an expensive metric's backfill goes
 * in small jobs (newest-first work never waits long behind one), a cheap one's in one job per column.
 */
import type { MetricName } from '../../lib/protocol';

/** Multiply–adds one job may carry (~0.1 s on one core here). */
const JOB_BUDGET = 2e9;

/**
 * Whether one more pair of the metric is nearly free once both layers are prepared: svcca-k compares two k × m bases,
 * and every metric of a sketched layer compares two K × m bases. Such a column goes out with the newest work.
 */
export function cheapPairs(metric: MetricName, layer: { sketch?: number }): boolean {
  return metric === 'svcca-k' || (layer.sketch !== undefined && metric !== 'pwcca');
}

/** Pairs per backfill job: a whole column when pairs are cheap, else as many as fit the budget (at least one, at most 8). */
export function pairsPerJob(metric: MetricName, layer: { units: number; sketch?: number }, examples: number): number {
  if (cheapPairs(metric, layer)) return 64;
  const side = Math.min(layer.units, examples);
  const perPair = side * side * Math.max(examples, 1);
  return Math.max(1, Math.min(8, Math.floor(JOB_BUDGET / Math.max(perPair, 1))));
}
