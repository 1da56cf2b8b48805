/** Growable (step, value) series in typed arrays: a million scalar points cost 16 MB, not a million objects. */
import type { Series } from '../lib/protocol';

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

  /** The points from index `from` on, for the wire (NaN as null). */
  toWire(from = 0): Series {
    const steps: number[] = [];
    const values: Array<number | null> = [];
    for (let i = from; i < this.length; i++) {
      steps.push(this.steps[i]);
      const v = this.values[i];
      values.push(Number.isFinite(v) ? v : null);
    }
    return { steps, values };
  }
}
