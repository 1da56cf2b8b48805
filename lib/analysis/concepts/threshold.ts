/**
 * Top-quantile thresholds per unit (Network Dissection's T_k with P(a_k > T_k) = q), exact on the probe set.
 *
 * Defaults: q = 0.005 for pixel data (layers sent with spatial maps), as NetDissect; q = 0.01 for image-level data
 * (one value per unit and example). Why 0.01 and not 0.05–0.1: a unit firing on a random fraction q of the examples
 * has expected IoU q·g / (q + g − q·g) with a concept on a fraction g of them, which reaches q as g → 1. Any q ≥ 0.04
 * therefore lets random units pass the 0.04 detector rule (q = 0.1 already does for every concept on more than 6%
 * of the probe). At q = 0.01 a unit must be about 4× enriched for a concept to pass, chance IoU stays ≤ 0.01, a
 * perfect detector of a concept on g < 25% of the probe still passes, and 500 examples give 5 firing examples.
 * Both are overridden by the run option `analysis.conceptQuantile`.
 */
import type { Real } from './types';

/** NetDissect's quantile for pixel data. */
export const DEFAULT_PIXEL_QUANTILE = 0.005;
/** Default quantile for image-level data (one value per unit and example); see the module comment for why. */
export const DEFAULT_IMAGE_QUANTILE = 0.01;

/** The default quantile for a layer with `positions` values per example (1: image-level). */
export function defaultQuantile(positions: number): number {
  return positions > 1 ? DEFAULT_PIXEL_QUANTILE : DEFAULT_IMAGE_QUANTILE;
}

const scratch = new DataView(new ArrayBuffer(8));

/** The largest float64 below x (x finite). */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  scratch.setFloat64(0, x);
  const bits = scratch.getBigInt64(0);
  scratch.setBigInt64(0, x > 0 ? bits - 1n : bits + 1n);
  return scratch.getFloat64(0);
}

/** The k-th smallest value (0-based) of `a`, reordering it (Hoare quickselect, median-of-three pivots). */
export function selectKth(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    const x = a[lo],
      y = a[mid],
      z = a[hi];
    const pivot = x < y ? (y < z ? y : Math.max(x, z)) : x < z ? x : Math.max(y, z);
    let i = lo,
      j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i++] = a[j];
        a[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

/**
 * Per unit, the cut c_k such that the unit is "on" where its value is > c_k: the top ⌈q·n⌉ values of its n values
 * (every value tied with the last of them too). When that threshold equals the unit's minimum (a dead unit, or one
 * at its floor on more than 1 − q of the values), only values strictly above the minimum are on, so a constant unit
 * is never on anywhere.
 */
export function topQuantileCuts(values: Real, units: number, n: number, q: number): Float64Array {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be in (0, 1), got ${q}`);
  const top = Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
  const cuts = new Float64Array(units);
  const buf = new Float64Array(n);
  for (let u = 0; u < units; u++) {
    const row = values.subarray(u * n, (u + 1) * n);
    let min = Infinity;
    for (let i = 0; i < n; i++) {
      buf[i] = row[i];
      if (row[i] < min) min = row[i];
    }
    const t = selectKth(buf, n - top);
    cuts[u] = t > min ? nextDown(t) : min;
  }
  return cuts;
}
