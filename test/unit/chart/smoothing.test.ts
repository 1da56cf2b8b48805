/** The debiased EMA (TensorBoard's smoothing) and the min/max envelope, against values computed by hand. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clampSmoothing, emaDebiased, minMaxEnvelope, smoothingSpan } from '../../../lib/chart/smoothing';

const close = (actual: ArrayLike<number>, expected: number[]) => {
  assert.equal(actual.length, expected.length);
  expected.forEach((e, i) =>
    Number.isNaN(e) ? assert.ok(Number.isNaN(actual[i]), `[${i}] NaN`) : assert.ok(Math.abs(actual[i] - e) < 1e-12, `[${i}] ${actual[i]} ≠ ${e}`),
  );
};

describe('emaDebiased', () => {
  it('debiases from the first point: w = 0.5 over 1, 2, 3 gives 1, 5/3, 17/7', () => {
    // ema: 0.5, 1.25, 2.125; divided by 1 − 0.5^t = 0.5, 0.75, 0.875.
    close(emaDebiased([1, 2, 3], 3, 0.5), [1, 5 / 3, 17 / 7]);
  });

  it('the first smoothed value is the first raw value, not pulled towards 0', () => {
    close(emaDebiased([10, 0], 2, 0.9), [10, 0.9 / 0.19]);
  });

  it('skips non-finite values: they stay gaps and do not advance t', () => {
    close(emaDebiased([1, NaN, 2, Infinity], 4, 0.5), [1, NaN, 5 / 3, NaN]);
  });

  it('leaves a constant series exact and w = 0 raw', () => {
    assert.deepEqual([...emaDebiased([0.1, 0.1, 0.1], 3, 0.99)], [0.1, 0.1, 0.1]);
    assert.deepEqual([...emaDebiased([3, 1, 4], 3, 0)], [3, 1, 4]);
  });

  it('reads only the first `length` values (series buffers have spare capacity)', () => {
    close(emaDebiased(Float64Array.from([1, 2, 3, 99]), 3, 0.5), [1, 5 / 3, 17 / 7]);
  });

  it('clamps the weight to [0, 0.99] at hundredths', () => {
    assert.equal(clampSmoothing(1), 0.99);
    assert.equal(clampSmoothing(-0.2), 0);
    assert.equal(clampSmoothing(Number.NaN), 0);
    assert.equal(clampSmoothing(0.604), 0.6);
    // Clamped, not exceeded: 1.0 would freeze the average at the first value.
    close(emaDebiased([1, 2], 2, 5), [1, (0.99 * 0.01 + 0.01 * 2) / (1 - 0.99 ** 2)]);
  });
});

describe('minMaxEnvelope', () => {
  it('min and max over each point and the span − 1 before it', () => {
    const { lo, hi } = minMaxEnvelope([3, 1, 4, 1, 5, 9, 2, 6], 8, 3);
    assert.deepEqual([...lo], [3, 1, 1, 1, 1, 1, 2, 2]);
    assert.deepEqual([...hi], [3, 3, 4, 4, 5, 9, 9, 9]);
  });

  it('windows count finite values; non-finite points get NaN', () => {
    const { lo, hi } = minMaxEnvelope([3, NaN, 1, 4], 4, 2);
    close(lo, [3, NaN, 1, 1]);
    close(hi, [3, NaN, 3, 4]);
  });

  it('a span of 1 is the series itself', () => {
    const { lo, hi } = minMaxEnvelope([2, 7, 1], 3, 1);
    assert.deepEqual([...lo], [2, 7, 1]);
    assert.deepEqual([...hi], [2, 7, 1]);
  });

  it('the span of a weight is 1 / (1 − w)', () => {
    assert.equal(smoothingSpan(0), 1);
    assert.equal(smoothingSpan(0.6), 3);
    assert.equal(smoothingSpan(0.9), 10);
    assert.equal(smoothingSpan(0.99), 100);
  });
});
