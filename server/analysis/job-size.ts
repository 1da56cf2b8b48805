/**
 * How much work one analysis job carries: a job runs to its end on its worker, so an expensive metric's backfill goes
 * in small jobs (newest-first work never waits long behind one), a cheap one's in one job per column.
 */
import type { MetricName } from '../../lib/protocol';

/** Multiply–adds one job may carry (~0.1–0.2 s on one core here). */
const JOB_BUDGET = 2e9;
/** Multiply–adds a later metric's "to newest" column may cost per checkpoint (~5–10 s on one loaded core here). */
const COLUMN_BUDGET = 1e11;

/**
 * Whether one more pair of the metric is nearly free once both layers are prepared: svcca-k compares two k × m bases,
 * and every metric of a sketched layer compares two K × m bases. Such a column goes out with the newest work.
 */
export function cheapPairs(metric: MetricName, layer: { sketch?: number }): boolean {
  return metric === 'svcca-k' || (layer.sketch !== undefined && metric !== 'pwcca');
}

/** Multiply–adds of one pair of a metric that is not cheap: the cross term (or a datapoint Gram) on the smaller side. */
function pairCost(layer: { units: number }, examples: number): number {
  const side = Math.min(layer.units, examples);
  return side * side * Math.max(examples, 1);
}

/**
 * How many earlier checkpoints a later metric's "to newest" column compares each new checkpoint with: all of them (up to
 * `max`) when its pairs are cheap, else as many as COLUMN_BUDGET allows over all layers (at least 4; a spread sample,
 * the final reference is filled completely when the run ends). Linear total cost, and a column every checkpoint.
 */
export function columnsPerCheckpoint(metric: MetricName, layers: Array<{ units: number; sketch?: number }>, examples: number, max: number): number {
  const cost = layers.reduce((sum, l) => sum + (cheapPairs(metric, l) ? 0 : pairCost(l, examples)), 0);
  if (cost === 0) return max;
  return Math.max(4, Math.min(max, Math.floor(COLUMN_BUDGET / cost)));
}

/** Pairs per backfill job: a whole column when pairs are cheap, else as many as fit the budget (at least one, at most 8). */
export function pairsPerJob(metric: MetricName, layer: { units: number; sketch?: number }, examples: number): number {
  if (cheapPairs(metric, layer)) return 64;
  return Math.max(1, Math.min(8, Math.floor(JOB_BUDGET / Math.max(pairCost(layer, examples), 1))));
}
