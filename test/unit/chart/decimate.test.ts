/** Min/max decimation: small series pass through, large ones keep every column's extremes and gaps, in order. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decimateMinMax } from '../../../lib/chart/decimate';

function series(n: number, f: (i: number) => number): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = i;
    ys[i] = f(i);
  }
  return { xs, ys };
}

describe('decimateMinMax', () => {
  it('returns every index while there are at most two points per column', () => {
    const { xs, ys } = series(200, (i) => Math.sin(i));
    assert.deepEqual(
      [...decimateMinMax(xs, ys, 200, 100)],
      Array.from({ length: 200 }, (_, i) => i),
    );
  });

  it('keeps at most two finite points per column, ascending', () => {
    const { xs, ys } = series(100_000, (i) => Math.sin(i / 50) + ((i * 7919) % 13) / 13);
    const idx = decimateMinMax(xs, ys, xs.length, 500);
    assert.ok(idx.length <= 1000, `got ${idx.length}`);
    assert.ok(idx.length >= 900);
    for (let i = 1; i < idx.length; i++) assert.ok(idx[i] > idx[i - 1]);
  });

  it('keeps the global extremes (a one-point spike survives)', () => {
    const { xs, ys } = series(50_000, () => 1);
    ys[31_337] = 1000;
    ys[12_345] = -5;
    const idx = [...decimateMinMax(xs, ys, xs.length, 300)];
    assert.ok(idx.includes(31_337));
    assert.ok(idx.includes(12_345));
  });

  it('keeps a non-finite point per column so the line breaks at gaps', () => {
    const { xs, ys } = series(10_000, (i) => i);
    ys[5000] = NaN;
    const idx = [...decimateMinMax(xs, ys, xs.length, 100)];
    assert.ok(idx.includes(5000));
  });

  it('honours length (only the filled part of a buffer) and an explicit x range', () => {
    const { xs, ys } = series(1000, (i) => i);
    assert.equal(decimateMinMax(xs, ys, 10, 100).length, 10);
    const idx = decimateMinMax(xs, ys, 1000, 10, 0, 2000);
    // the data covers half the range: half the columns, two points each
    assert.ok(idx.length <= 10 + 1);
  });

  it('handles empty and single-valued x', () => {
    assert.equal(decimateMinMax([], [], 0, 10).length, 0);
    const xs = new Float64Array(100).fill(3);
    const ys = new Float64Array(100);
    assert.equal(decimateMinMax(xs, ys, 100, 10).length, 100);
  });
});
