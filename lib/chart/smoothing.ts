/**
 * Smoothing of scalar series as TensorBoard does it: an exponential moving average started at 0 and debiased, so the
 * first points are not pulled towards zero; and the min/max envelope of the raw values each smoothed point stands for.
 */

/** Largest smoothing weight the views accept (1 would freeze the average at its first value). */
export const MAX_SMOOTHING = 0.99;

/** A weight clamped to [0, MAX_SMOOTHING] and rounded to hundredths (the slider's resolution); NaN becomes 0. */
export function clampSmoothing(w: number): number {
  if (!Number.isFinite(w) || w <= 0) return 0;
  return Math.min(MAX_SMOOTHING, Math.round(w * 100) / 100);
}

/**
 * The debiased EMA of the first `length` values: ema_t = w·ema_{t−1} + (1 − w)·x_t from ema_0 = 0, shown as
 * ema_t / (1 − w^t), t counting the finite values from the first. Non-finite values stay NaN (a gap) and do not count;
 * a constant series is returned exactly (the debias would otherwise leave rounding noise on a flat line).
 */
export function emaDebiased(ys: ArrayLike<number>, length: number, weight: number): Float64Array {
  const n = Math.min(length, ys.length);
  const out = new Float64Array(n);
  const w = clampSmoothing(weight);
  let first = NaN;
  let constant = true;
  for (let i = 0; i < n; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) continue;
    if (Number.isNaN(first)) first = v;
    else if (v !== first) constant = false;
  }
  let ema = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) {
      out[i] = NaN;
      continue;
    }
    if (w === 0 || constant) {
      out[i] = v;
      continue;
    }
    ema = w * ema + (1 - w) * v;
    t++;
    out[i] = ema / (1 - w ** t);
  }
  return out;
}

/** How many raw points an EMA of weight w mostly stands for: 1 / (1 − w), rounded (1 without smoothing, 100 at 0.99). */
export function smoothingSpan(weight: number): number {
  return Math.max(1, Math.round(1 / (1 - clampSmoothing(weight))));
}

/**
 * Per point, the min and max of the finite raw values among it and the `span − 1` finite values before it (the window
 * its smoothed value mostly averages). Non-finite points get NaN. O(n) with two monotonic queues.
 */
export function minMaxEnvelope(ys: ArrayLike<number>, length: number, span: number): { lo: Float64Array; hi: Float64Array } {
  const n = Math.min(length, ys.length);
  const k = Math.max(1, Math.floor(span));
  const lo = new Float64Array(n);
  const hi = new Float64Array(n);
  // Queues of indices into `finite` (the positions of finite values), values monotonic from head to tail.
  const finite = new Int32Array(n);
  const minQ = new Int32Array(n);
  const maxQ = new Int32Array(n);
  let count = 0;
  let minHead = 0,
    minTail = 0,
    maxHead = 0,
    maxTail = 0;
  for (let i = 0; i < n; i++) {
    const v = ys[i];
    if (!Number.isFinite(v)) {
      lo[i] = hi[i] = NaN;
      continue;
    }
    const j = count++;
    finite[j] = i;
    while (minTail > minHead && ys[finite[minQ[minTail - 1]]] >= v) minTail--;
    minQ[minTail++] = j;
    while (maxTail > maxHead && ys[finite[maxQ[maxTail - 1]]] <= v) maxTail--;
    maxQ[maxTail++] = j;
    while (minQ[minHead] <= j - k) minHead++;
    while (maxQ[maxHead] <= j - k) maxHead++;
    lo[i] = ys[finite[minQ[minHead]]];
    hi[i] = ys[finite[maxQ[maxHead]]];
  }
  return { lo, hi };
}
