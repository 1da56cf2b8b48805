/**
 * Per-unit thresholds for pixel masks, taken on the upsampled maps — the region that is compared with the masks — so a
 * unit is on at the top ⌈q·N⌉ of its N = examples × H × W upsampled pixels (plus ties), as topQuantileCuts does on raw
 * values. NetDissect takes the quantile on the raw maps; then a sparse unit (zero on more than 1 − q of its positions,
 * so "on" means "above zero") turns on every pixel that bilinear interpolation touches: on a real Fashion-MNIST CNN such a
 * unit covered 4.8% of the pixels instead of 2% and passed IoU 0.04 with 13% precision for a part on 9% of them.
 * Memory stays O(h·w + H·W + bins): a histogram pass finds the bin holding the threshold, a second pass selects it exactly.
 */
import { bilinearPlan, upsampleInto } from './masks';
import { nextDown, selectKth } from './threshold';
import type { Real } from './types';

const BINS = 4096;

/** Cuts c_u such that unit u is "on" at the upsampled pixels whose value is > c_u (values units × examples × h × w). */
export function upsampledQuantileCuts(values: Real, units: number, examples: number, h: number, w: number, H: number, W: number, q: number): Float64Array {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be in (0, 1), got ${q}`);
  const px = h * w,
    PX = H * W;
  const n = examples * PX;
  const top = Math.min(n, Math.max(1, Math.ceil(q * n - 1e-9)));
  const plan = bilinearPlan(h, w, H, W);
  const up = new Float64Array(PX);
  const counts = new Float64Array(BINS);
  const cuts = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    const row = u * examples * px;
    let lo = Infinity,
      hi = -Infinity;
    for (let i = row; i < row + examples * px; i++) {
      lo = Math.min(lo, values[i]);
      hi = Math.max(hi, values[i]);
    }
    if (!(hi > lo)) {
      cuts[u] = lo; // constant unit: on nowhere
      continue;
    }
    // Bilinear values stay within [lo, hi]; both passes bin them the same way.
    const scale = BINS / (hi - lo);
    const bin = (v: number) => Math.min(BINS - 1, Math.floor((v - lo) * scale));
    const each = (visit: (v: number) => void, skipBelow: number) => {
      for (let j = 0; j < examples; j++) {
        const o = row + j * px;
        let max = -Infinity;
        for (let p = 0; p < px; p++) if (values[o + p] > max) max = values[o + p];
        if (max < skipBelow) continue;
        upsampleInto(values, o, plan, up);
        for (let p = 0; p < PX; p++) visit(up[p]);
      }
    };
    counts.fill(0);
    each((v) => counts[bin(v)]++, -Infinity);
    let b = BINS - 1,
      above = 0;
    while (b > 0 && above + counts[b] < top) above += counts[b--];
    const need = top - above;
    const lower = lo + b / scale;
    const inBin: number[] = [];
    each((v) => void (bin(v) === b && inBin.push(v)), lower - (hi - lo) / BINS);
    const t = selectKth(Float64Array.from(inBin), inBin.length - need);
    cuts[u] = t > lo ? nextDown(t) : lo;
  }
  return cuts;
}
