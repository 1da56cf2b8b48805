/** Log axes: the points they drop, decade domains, decade ticks and labels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decadeDomain, decadeTicks, formatDecade, logFilter } from '../../../lib/chart/log-scale';

describe('logFilter', () => {
  const xs = [0, 10, 20, 30];
  const ys = [1, -1, NaN, 0.5];

  it('drops x ≤ 0 on a log x axis and y ≤ 0 on a log y axis, keeping gaps', () => {
    const f = logFilter(xs, ys, 4, true, true);
    assert.deepEqual([...f.xs], [20, 30]);
    assert.ok(Number.isNaN(f.ys[0]));
    assert.equal(f.ys[1], 0.5);
    assert.equal(f.dropped, 2);
  });

  it('each axis only drops its own non-positive values', () => {
    assert.equal(logFilter(xs, ys, 4, true, false).dropped, 1);
    assert.deepEqual([...logFilter(xs, ys, 4, false, true).xs], [0, 20, 30]);
    assert.equal(logFilter(xs, ys, 4, false, false).dropped, 0);
  });

  it('gathers extra arrays (the smoothed series) at the points kept', () => {
    const f = logFilter(xs, ys, 4, true, true, [[9, 8, 7, 6]]);
    assert.deepEqual([...f.extra[0]], [7, 6]);
  });

  it('y = 0 is dropped on a log y axis (log 0 is −∞)', () => {
    assert.equal(logFilter([1, 2], [0, 1], 2, false, true).dropped, 1);
  });
});

describe('decade domains and ticks', () => {
  it('widens a positive extent to whole decades', () => {
    assert.deepEqual(decadeDomain([0.05, 2.3]), [0.01, 10]);
    assert.deepEqual(decadeDomain([1, 760]), [1, 1000]);
    assert.deepEqual(decadeDomain([10, 100]), [10, 100]);
    assert.deepEqual(decadeDomain([0.001, 0.001]), [0.001, 0.01]);
    assert.deepEqual(decadeDomain(null), [1, 10]);
    assert.deepEqual(decadeDomain([0, 5]), [1, 10]);
  });

  it('ticks sit at the decades, thinned when there are many', () => {
    assert.deepEqual(decadeTicks([0.01, 10]), [0.01, 0.1, 1, 10]);
    assert.deepEqual(decadeTicks([1, 1000]), [1, 10, 100, 1000]);
    assert.deepEqual(decadeTicks([1e-10, 1e10], 6), [1e-10, 1e-6, 0.01, 100, 1e6, 1e10]);
    assert.deepEqual(decadeTicks([2, 9]), []);
  });

  it('labels decades in plain digits near 1, exponents beyond', () => {
    assert.deepEqual([0.001, 0.1, 1, 10000].map(formatDecade), ['0.001', '0.1', '1', '10000']);
    assert.deepEqual([1e-4, 1e5].map(formatDecade), ['1e-4', '1e5']);
  });
});
