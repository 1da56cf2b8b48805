/** Concept view helpers: palettes. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { categoryColour, conceptColour } from '../../../lib/chart/concept-colours';

it('palettes cycle', () => {
  assert.equal(categoryColour(8), categoryColour(0));
  assert.equal(conceptColour(9), conceptColour(0));
});
