/** Top-quantile cuts: exact counts, ties at the threshold, units at their floor, dead units; quickselect and nextDown. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultQuantile, nextDown, selectKth, topQuantileCuts } from '../../../../lib/analysis/concepts';

const on = (row: number[], q: number) => {
  const cut = topQuantileCuts(Float64Array.from(row), 1, row.length, q)[0];
  return row.map((v) => (v > cut ? 1 : 0));
};

describe('topQuantileCuts', () => {
  it('turns on the top ⌈q·n⌉ values', () => {
    assert.deepEqual(on([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.2), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1]);
    assert.deepEqual(on([3, 1, 2], 0.01), [1, 0, 0]); // at least one value
  });
  it('turns on every value tied with the threshold', () => assert.deepEqual(on([0, 0, 0, 0, 5, 5, 5, 1, 2, 3], 0.1), [0, 0, 0, 0, 1, 1, 1, 0, 0, 0]));
  it('turns on only values above the minimum when the threshold is the minimum (sparse ReLU unit)', () =>
    assert.deepEqual(on([0, 0, 0, 0, 0, 0, 0, 0, 0, 7], 0.2), [0, 0, 0, 0, 0, 0, 0, 0, 0, 1]));
  it('never turns a dead unit on', () => assert.deepEqual(on([3, 3, 3, 3], 0.5), [0, 0, 0, 0]));
  it('computes one cut per unit', () => {
    const cuts = topQuantileCuts(Float32Array.from([1, 2, 3, 4, 40, 30, 20, 10]), 2, 4, 0.25);
    assert.equal(cuts[0], nextDown(4));
    assert.equal(cuts[1], nextDown(40));
  });
  it('rejects a quantile outside (0, 1)', () => assert.throws(() => topQuantileCuts(new Float64Array(2), 1, 2, 0)));
});

describe('helpers', () => {
  it('selectKth agrees with sorting', () => {
    const a = Float64Array.from({ length: 101 }, (_, i) => ((i * 37) % 101) - 50 + (i % 3 === 0 ? 0 : 0.5));
    const sorted = [...a].sort((x, y) => x - y);
    for (const k of [0, 1, 50, 99, 100]) assert.equal(selectKth(Float64Array.from(a), k), sorted[k]);
  });
  it('nextDown is the float just below', () => {
    for (const x of [1, -1, 0.005, 1e300, -2.5]) {
      const d = nextDown(x);
      const mid = d / 2 + x / 2;
      assert.ok(d < x && (mid === d || mid === x), `${d} is just below ${x}`);
    }
    assert.ok(nextDown(0) < 0);
  });
  it('defaults: 0.005 for pixel data, 0.01 for image-level data', () => {
    assert.equal(defaultQuantile(49), 0.005);
    assert.equal(defaultQuantile(1), 0.01);
  });
});
