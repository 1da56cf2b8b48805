/** Concept view helpers: palettes and quantiles. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { categoryColour, conceptColour, quantiles } from '../../../lib/chart/concept-colours';

it('quantiles interpolate linearly over the finite values and ignore nulls', () => {
  assert.deepEqual(quantiles([3, null, 1, 2, NaN, 4], [0, 0.5, 1, 0.25]), [1, 2.5, 4, 1.75]);
  assert.equal(quantiles([null], [0.5]), null);
});

it('palettes cycle', () => {
  assert.equal(categoryColour(8), categoryColour(0));
  assert.equal(conceptColour(9), conceptColour(0));
});
