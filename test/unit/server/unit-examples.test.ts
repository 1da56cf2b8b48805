/** The ranking behind `unit-examples`: per-example maxima of spatial maps and the top k with ties and non-finite values. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { topExamples, unitMaxima } from '../../../server/analysis/unit-examples';

it("takes each example's maximum over its positions; a NaN makes it NaN", () => {
  const row = Float32Array.from([1, -2, 3, /* e1 */ -5, -4, -6, /* e2 */ 0, NaN, 9]);
  const max = unitMaxima(row, 3, 3);
  assert.deepEqual(Array.from(max.subarray(0, 2)), [3, -4]);
  assert.ok(Number.isNaN(max[2]));
});

it('ranks highest first, ties to the lower example, and leaves non-finite values out', () => {
  const values = Float32Array.from([0.5, 2, NaN, 2, Infinity, -1, 0.7]);
  assert.deepEqual(topExamples(values, 10), [1, 3, 6, 0, 5]);
  assert.deepEqual(topExamples(values, 2), [1, 3]);
});
