/** Settling readings of a convergence row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstReaching, lastValueAt, settledFrom } from '../../../lib/chart/convergence-summary';

describe('convergence summary', () => {
  it('settledFrom is the start of the final run at or above the threshold', () => {
    assert.equal(settledFrom([0.5, 0.96, 0.9, 0.96, null, 0.97, 1], 0.95), 3);
    assert.equal(settledFrom([0.5, 0.9], 0.95), -1);
    assert.equal(settledFrom([null, null], 0.95), -1);
  });

  it('firstReaching is the first column at or above the threshold', () => {
    assert.equal(firstReaching([0.5, 0.96, 0.9, 1], 0.95), 1);
    assert.equal(firstReaching([null, 0.1], 0.95), -1);
  });

  it('lastValueAt skips nulls backwards', () => {
    assert.deepEqual(lastValueAt([0.1, 0.2, null], 2), { c: 1, v: 0.2 });
    assert.equal(lastValueAt([null], 0), null);
  });
});
