/** Extents, padded domains, nearest-point lookup and number formats. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { scaleLinear } from 'd3';
import {
  axisTicks,
  finiteExtent,
  formatDuration,
  formatStep,
  formatValue,
  nearestIndex,
  paddedDomain,
  tickFormatter,
  unionExtent,
  valueDomain,
} from '../../../lib/chart/scales';

describe('scales', () => {
  it('finiteExtent skips NaN and infinities and respects length', () => {
    assert.deepEqual(finiteExtent([NaN, 3, -1, Infinity, 7, 100], 5), [-1, 7]);
    assert.equal(finiteExtent([NaN, NaN]), null);
  });

  it('unionExtent ignores nulls', () => {
    assert.deepEqual(unionExtent([null, [0, 1], [-2, 0.5]]), [-2, 1]);
    assert.equal(unionExtent([null]), null);
  });

  it('paddedDomain pads, widens a single value and falls back', () => {
    assert.deepEqual(paddedDomain([0, 10], 0.1), [-1, 11]);
    assert.deepEqual(paddedDomain([5, 5]), [4.5, 5.5]);
    assert.deepEqual(paddedDomain([0, 0]), [-1, 1]);
  });

  it('valueDomain draws a near-constant series flat (memory in MiB) and still zooms into a real small change', () => {
    const [lo, hi] = valueDomain([308.132, 308.142]);
    assert.ok(lo < 280 && hi > 335, `${lo}..${hi}`);
    assert.deepEqual(
      valueDomain([0.969, 0.9698], 0.1).map((v) => Number(v.toFixed(5))),
      [0.96892, 0.96988],
    );
    assert.deepEqual(valueDomain([0, 0]), [-1, 1]);
    assert.deepEqual(paddedDomain([1_000_000, 1_000_050], 0), [1_000_000, 1_000_050], 'steps (an x axis) are never flattened');
    assert.deepEqual(paddedDomain(null), [0, 1]);
  });

  it('nearestIndex finds the closest x by binary search', () => {
    const xs = [0, 10, 20, 30];
    assert.equal(nearestIndex(xs, 4, 14), 1);
    assert.equal(nearestIndex(xs, 4, 16), 2);
    assert.equal(nearestIndex(xs, 4, -5), 0);
    assert.equal(nearestIndex(xs, 4, 99), 3);
    assert.equal(nearestIndex(xs, 2, 99), 1);
    assert.equal(nearestIndex(xs, 0, 1), -1);
  });

  it('formats steps, values and durations', () => {
    assert.equal(formatStep(950), '950');
    assert.equal(formatStep(1200), '1.2k');
    assert.equal(formatStep(1_500_000), '1.5M');
    assert.equal(formatValue(0.123456), '0.1235');
    assert.equal(formatValue(null), '–');
    assert.equal(formatValue(0.00001234), '1.234e-5');
    assert.equal(formatDuration(35.4), '35 ms');
    assert.equal(formatDuration(1234), '1.2 s');
  });

  it('tickFormatter uses the tick precision, exponents for tiny magnitudes', () => {
    assert.equal(tickFormatter([0, 1], 5)(0.2), '0.2');
    assert.equal(tickFormatter([0, 3000], 5)(2500), '2500');
    assert.equal(tickFormatter([0.0009, 0.0011], 5)(0.00105), '1.05e-3');
  });

  it('axisTicks: whole-number axes never repeat a label over a narrow domain (the "0 0 0 1 1 1" of an empty step axis)', () => {
    const labels = (domain: [number, number], count: number, integer: boolean) => axisTicks(scaleLinear().domain(domain), count, integer).map(formatStep);
    assert.deepEqual(labels([0, 1], 6, false), ['0', '0', '0', '1', '1', '1'], 'what a step axis over [0, 1] read before');
    assert.deepEqual(labels([0, 1], 6, true), ['0', '1']);
    assert.deepEqual(labels([4.5, 5.5], 6, true), ['5'], 'a single checkpoint at step 5');
    assert.deepEqual(labels([0, 3], 6, true), ['0', '1', '2', '3']);
    assert.deepEqual(labels([0, 1140], 6, true), ['0', '200', '400', '600', '800', '1k']);
    assert.deepEqual(axisTicks(scaleLinear().domain([0, 1]), 5), [0, 0.2, 0.4, 0.6, 0.8, 1], 'other axes keep their fractional ticks');
  });
});
