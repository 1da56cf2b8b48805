/** Growable (step, value) series in typed arrays: a million scalar points cost 16 MB, not a million objects. */
import type { Series } from '../../lib/protocol';

export class GrowableSeries {
  private steps = new Float64Array(64);
  private values = new Float64Array(64);
  length = 0;

  /** Appends a point (null is stored as NaN: a logged non-number). */
  push(step: number, value: number | null): void {
    if (this.length === this.steps.length) {
      const cap = this.steps.length * 2;
      const s = new Float64Array(cap);
      s.set(this.steps);
      const v = new Float64Array(cap);
      v.set(this.values);
      this.steps = s;
      this.values = v;
    }
    this.steps[this.length] = step;
    this.values[this.length] = value ?? NaN;
    this.length++;
  }

  get lastStep(): number {
    return this.length ? this.steps[this.length - 1] : -Infinity;
  }

  get lastValue(): number {
    return this.length ? this.values[this.length - 1] : NaN;
  }

  /** Bytes held by the typed arrays (capacity, not length). */
  get bytes(): number {
    return this.steps.byteLength + this.values.byteLength;
  }

  /** The points from index `from` on, for the wire (NaN as null). */
  toWire(from = 0): Series {
    return this.wireRange(from, this.length);
  }

  /**
   * The points with from ≤ step ≤ to, at most `maxPoints` of them: when there are more, per step bucket the minimum,
   * the maximum and the first null (a logged non-number), in step order, plus the last point exactly (min/max
   * decimation, as a chart draws per pixel column). A decimated series carries `total`, the points it stands for.
   */
  view(maxPoints: number, from = -Infinity, to = Infinity): Series {
    const lo = this.bound(from, false);
    const hi = this.bound(to, true);
    if (hi - lo <= maxPoints) return this.wireRange(lo, hi);
    const buckets = Math.max(1, Math.floor((maxPoints - 1) / 3));
    const s0 = this.steps[lo];
    const span = this.steps[hi - 1] - s0 || 1;
    const picked: number[] = [];
    let bucket = -1;
    let min = -1;
    let max = -1;
    let nan = -1;
    const emit = () => {
      const idx = [min, max, nan].filter((i, k, a) => i >= 0 && a.indexOf(i) === k).sort((a, b) => a - b);
      picked.push(...idx);
    };
    for (let i = lo; i < hi - 1; i++) {
      const b = Math.min(buckets - 1, Math.floor(((this.steps[i] - s0) / span) * buckets));
      if (b !== bucket) {
        if (bucket >= 0) emit();
        bucket = b;
        min = max = nan = -1;
      }
      const v = this.values[i];
      if (Number.isNaN(v)) {
        if (nan < 0) nan = i;
      } else {
        if (min < 0 || v < this.values[min]) min = i;
        if (max < 0 || v > this.values[max]) max = i;
      }
    }
    if (bucket >= 0) emit();
    picked.push(hi - 1);
    const steps: number[] = new Array(picked.length);
    const values: Array<number | null> = new Array(picked.length);
    picked.forEach((i, k) => {
      steps[k] = this.steps[i];
      values[k] = this.wireValue(i);
    });
    return { steps, values, total: hi - lo };
  }

  private wireValue(i: number): number | null {
    const v = this.values[i];
    return Number.isFinite(v) ? v : null;
  }

  private wireRange(lo: number, hi: number): Series {
    const steps: number[] = [];
    const values: Array<number | null> = [];
    for (let i = lo; i < hi; i++) {
      steps.push(this.steps[i]);
      values.push(this.wireValue(i));
    }
    return { steps, values };
  }

  /** First index whose step is ≥ `step` (> `step` when `after`); steps ascend. */
  private bound(step: number, after: boolean): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.steps[mid] < step || (after && this.steps[mid] === step)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
