/** Class selectivity against hand-computed cases: two and three classes, negative activations, dead units, ties, a class with no examples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classSelectivity, meanOverSpace, quantiles, selectivityBands } from '../../../../lib/analysis/concepts';

const si = (acts: number[], labels: number[], classes: number) => Array.from(classSelectivity(Float64Array.from(acts), 1, acts.length, labels, classes))[0];
const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);

describe('classSelectivity', () => {
  it('is 1 for a unit that responds to one class only', () => close(si([1, 3, 0, 0], [0, 0, 1, 1], 2), 1));
  it('uses the mean of the other class means: μ = [2, 1, 0] → (2 − 0.5) / (2 + 0.5) = 0.6', () => close(si([2, 2, 1, 1, 0, 0], [0, 0, 1, 1, 2, 2], 3), 0.6));
  it('shifts a unit with negative activations by its minimum: [−2, −1, 0, 1] → [0, 1, 2, 3] → (2.5 − 0.5) / 3', () =>
    close(si([-2, -1, 0, 1], [0, 0, 1, 1], 2), 2 / 3));
  it('leaves non-negative units unshifted', () => close(si([1, 1, 3, 3], [0, 0, 1, 1], 2), 0.5));
  it('is 0 for dead and constant units', () => {
    close(si([0, 0, 0, 0], [0, 0, 1, 1], 2), 0);
    close(si([5, 5, 5, 5], [0, 0, 1, 1], 2), 0);
    close(si([-3, -3, -3, -3], [0, 0, 1, 1], 2), 0);
  });
  it('counts a tied class among the others: μ = [2, 2, 0] → (2 − 1) / (2 + 1)', () => close(si([2, 2, 0], [0, 1, 2], 3), 1 / 3));
  it('ignores a class with no examples, and is NaN with fewer than two present classes', () => {
    close(si([1, 3, 0, 0], [0, 0, 1, 1], 3), 1);
    assert.ok(Number.isNaN(si([1, 2, 3], [0, 0, 0], 3)));
  });
  it('handles several units at once (row-major units × examples)', () => {
    const out = classSelectivity(Float32Array.from([1, 0, 0, 1, 2, 2]), 3, 2, [0, 1], 2);
    assert.deepEqual(Array.from(out), [1, 1, 0]);
  });
});

describe('meanOverSpace', () => {
  it('averages each unit × example over its positions', () => {
    assert.deepEqual(Array.from(meanOverSpace(Float32Array.from([1, 3, 0, 2, 4, 4, 5, 7]), 2, 2, 2)), [2, 1, 4, 6]);
  });
});

it('quantiles interpolate linearly over the finite values and ignore nulls; bands summarise a distribution', () => {
  assert.deepEqual(quantiles([3, null, 1, 2, NaN, 4], [0, 0.5, 1, 0.25]), [1, 2.5, 4, 1.75]);
  assert.equal(quantiles([null], [0.5]), null);
  assert.deepEqual(selectivityBands(Array.from({ length: 11 }, (_, i) => i / 10)), [0.1, 0.25, 0.5, 0.75, 0.9]);
  assert.equal(selectivityBands([null, NaN]), null);
});
