/**
 * Class selectivity per unit (Morcos, Barrett, Rabinowitz, Botvinick 2018): SI = (μ_max − μ_−max) / (μ_max + μ_−max),
 * μ_max the largest class-mean activation, μ_−max the mean of the other class means.
 *
 * Conventions (documented in docs/analysis.md, "Concept statistics"):
 * - Spatial units are averaged over positions first (`meanOverSpace`).
 * - The index assumes non-negative activity. A unit with any negative activation on the probe set is shifted by
 *   its own minimum (so its lowest activation is 0) before class means are taken; post-ReLU units are unchanged.
 * - Classes with no probe example take no part (neither μ_max nor μ_−max); fewer than two present classes → NaN.
 * - A unit whose shifted means are all 0 (dead or constant) has SI 0: it responds equally to every class.
 * - Ties for μ_max: the tied class counts among the "others", so a unit tied between two classes scores below 1.
 */
import type { Real } from './types';

/** Mean over the `positions` values of each unit × example (units × examples × positions row-major in, units × examples out). */
export function meanOverSpace(data: Real, units: number, examples: number, positions: number): Float64Array {
  const out = new Float64Array(units * examples);
  if (positions === 1) {
    out.set(data.subarray(0, units * examples));
    return out;
  }
  for (let i = 0; i < units * examples; i++) {
    let s = 0;
    const o = i * positions;
    for (let p = 0; p < positions; p++) s += data[o + p];
    out[i] = s / positions;
  }
  return out;
}

/** Selectivity index of every unit (NaN where undefined); `labels[j]` is example j's class, labels outside [0, classes) are ignored. */
export function classSelectivity(acts: Real, units: number, examples: number, labels: ArrayLike<number>, classes: number): Float64Array {
  const out = new Float64Array(units).fill(NaN);
  const counts = new Float64Array(classes);
  for (let j = 0; j < examples; j++) {
    const c = labels[j];
    if (c >= 0 && c < classes) counts[c]++;
  }
  let present = 0;
  for (const n of counts) if (n > 0) present++;
  if (present < 2) return out;
  const sums = new Float64Array(classes);
  for (let u = 0; u < units; u++) {
    const o = u * examples;
    let min = Infinity;
    for (let j = 0; j < examples; j++) if (acts[o + j] < min) min = acts[o + j];
    const shift = min < 0 ? -min : 0;
    sums.fill(0);
    for (let j = 0; j < examples; j++) {
      const c = labels[j];
      if (c >= 0 && c < classes) sums[c] += acts[o + j] + shift;
    }
    let best = -1;
    let max = -Infinity;
    let total = 0;
    for (let c = 0; c < classes; c++) {
      if (counts[c] === 0) continue;
      const mean = sums[c] / counts[c];
      total += mean;
      if (mean > max) {
        max = mean;
        best = c;
      }
    }
    const others = (total - max) / (present - 1);
    const denom = max + others;
    out[u] = best < 0 || !(denom > 0) ? 0 : (max - others) / denom;
  }
  return out;
}

/** The quantiles a selectivity distribution is summarised by (the class selectivity chart's bands): p10, p25, median, p75, p90. */
export const SELECTIVITY_BANDS = [0.1, 0.25, 0.5, 0.75, 0.9] as const;

/** Quantiles (p in [0, 1], linear interpolation) of the finite values, or null when there are none. */
export function quantiles(values: ArrayLike<number | null>, ps: readonly number[]): number[] | null {
  // A typed array sorts numerically and natively: 65,536 units in a few ms, where an array of numbers takes ~100 ms.
  const finite = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isFinite(v)) finite[n++] = v;
  }
  if (!n) return null;
  const xs = finite.subarray(0, n).sort();
  return ps.map((p) => {
    const pos = p * (xs.length - 1),
      lo = Math.floor(pos),
      hi = Math.ceil(pos);
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo);
  });
}

/** A layer's selectivity distribution at one checkpoint as its SELECTIVITY_BANDS quantiles (null: no unit has one). */
export function selectivityBands(selectivity: ArrayLike<number | null>): number[] | null {
  const q = quantiles(selectivity, SELECTIVITY_BANDS);
  return q ? q.map((v) => Math.round(v * 1000) / 1000) : null;
}
