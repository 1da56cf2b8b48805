/**
 * When a layer may be frozen, read from its dynamics in units of training (steps), never in checkpoints: it has moved
 * away from its first state, its change per step has fallen to a small fraction of its peak, and its drift, projected
 * over the training still to come, keeps it close to where it is now. docs/analysis.md "Freeze advice" has the
 * measurements behind each rule and default.
 */

/** The settings the criterion reads (AdviceConfig in advice.ts holds them with the run's other advice options). */
export interface CriterionConfig {
  /** The similarity the layer must be projected to keep to its advised state until the end of training. */
  threshold: number;
  /** At least this many earlier checkpoints in the evidence window. */
  window: number;
  /** The window reaches back over this share of the steps so far. */
  minSpan: number;
  /** At least this much change (1 − similarity) since the first checkpoint: a layer that has not moved has not learned. */
  minMove: number;
  /** Change per step over the window, at most this fraction of the layer's peak change per step. */
  rateFraction: number;
  /** Doublings of training assumed still to come when the trainer did not say how long it trains. */
  horizon: number;
  /** The planned number of steps, when the trainer gave it. */
  totalSteps: number | null;
}

/** Extra doublings added to the horizon known from totalSteps: a margin for late changes. */
const HORIZON_MARGIN = 0.5;

/** First column of the evidence for checkpoint column c: the latest at or before (1 − minSpan) of its step, and at least `window` columns back; -1 when there is none yet. */
export function evidenceStart(config: Pick<CriterionConfig, 'window' | 'minSpan'>, steps: readonly number[], c: number): number {
  if (c < config.window) return -1;
  const limit = (1 - config.minSpan) * steps[c];
  let e = Math.min(c - config.window, c - 1);
  while (e >= 0 && steps[e] > limit) e--;
  return e;
}

/**
 * The column that splits the evidence window e..c in two halves of log-steps (the latest after e at or before the
 * geometric middle of their steps), or -1 when the window has no column strictly inside it.
 */
export function evidenceMiddle(steps: readonly number[], e: number, c: number): number {
  const mid = Math.sqrt(Math.max(1, steps[e]) * steps[c]);
  let m = -1;
  for (let x = e + 1; x < c; x++) if (steps[x] <= mid || m < 0) m = x;
  return m;
}

/** Change per step (1 − similarity over the step gap) between consecutive checkpoints, at its highest up to column c. */
export function peakRate(stability: ReadonlyArray<number | null>, steps: readonly number[], c: number): number {
  let peak = 0;
  for (let x = 1; x <= c; x++) {
    const s = stability[x];
    const gap = steps[x] - steps[x - 1];
    if (typeof s === 'number' && gap > 0) peak = Math.max(peak, (1 - s) / gap);
  }
  return peak;
}

/** What the criterion read at one checkpoint; `ok` when every rule holds. */
export interface Judgement {
  ok: boolean;
  /** 1 − similarity to the first checkpoint. */
  moved: number;
  /** Change per step over the window, and the peak it is compared with. */
  rate: number;
  peakRate: number;
  /** Doublings of training still to come that the projection assumed. */
  horizon: number;
  /** The similarity to the current state projected for the end of training. */
  projected: number;
  /** Drift as an angle per doubling of the steps: over the whole window, and over its recent half. */
  perDoubling: number;
  recentPerDoubling: number | null;
}

/** Angle (arccos of a similarity) per doubling of the steps from step a to step b, at least `minDoublings` doublings. */
function anglePerDoubling(similarity: number, a: number, b: number, minDoublings: number): number {
  const doublings = Math.max(a > 0 ? Math.log2(b / a) : 0, minDoublings);
  return Math.acos(Math.min(1, Math.max(-1, similarity))) / doublings;
}

/**
 * Judges layer readings at column c (step t) with evidence window start e: `toFirst` = similarity to the first
 * checkpoint, `toStart` = similarity to column e, `peak` = peakRate(). The drift is measured as an angle (arccos of the
 * similarity) per doubling of steps over the window and projected over the horizon. `recent` (column m, from
 * evidenceMiddle, and the similarity of m to c) is the recent half of the window: a layer whose drift per doubling is
 * faster there is still learning, and the faster drift is the one projected.
 */
export function judge(
  config: CriterionConfig,
  steps: readonly number[],
  c: number,
  e: number,
  toFirst: number,
  toStart: number,
  peak: number,
  recent?: { m: number; similarity: number },
): Judgement {
  const t = steps[c];
  const te = steps[e];
  const moved = 1 - toFirst;
  const rate = (1 - toStart) / Math.max(1, t - te);
  const minDoublings = Math.log2(1 / (1 - Math.min(config.minSpan, 0.99)));
  const whole = anglePerDoubling(toStart, te, t, minDoublings);
  const recentPerDoubling = recent ? anglePerDoubling(recent.similarity, steps[recent.m], t, minDoublings / 2) : null;
  const perDoubling = Math.max(whole, recentPerDoubling ?? 0);
  const known = config.totalSteps !== null;
  const horizon = known ? Math.log2(config.totalSteps! / Math.max(1, t)) + HORIZON_MARGIN : config.horizon;
  const projected = Math.cos(Math.min(Math.PI, perDoubling * Math.max(0, horizon)));
  const ok = (!known || t < config.totalSteps!) && moved >= config.minMove && rate <= config.rateFraction * peak && projected >= config.threshold;
  return { ok, moved, rate, peakRate: peak, horizon, projected, perDoubling: whole, recentPerDoubling };
}
