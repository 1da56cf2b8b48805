/** Settling readings of a convergence row. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { firstReaching, lastValueAt, settledFrom, settling, settlingSummary } from '../../../lib/chart/convergence-summary';

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

  it('settling: a layer that matches its reference only at the reference itself has not settled', () => {
    // The case: fc "settled since 188", the final step, where every layer equals itself.
    assert.deepEqual(settling([0.69, 0.81, 0.93, 1], 0.95, 3), { state: 'at-reference' });
    assert.deepEqual(settling([0.69, 0.96, 0.97, 1], 0.95, 3), { state: 'settled', from: 1 });
    assert.deepEqual(settling([0.99, 0.9, 0.97, 1], 0.95, 3), { state: 'settled', from: 2 }, 'a dip restarts the run');
    assert.deepEqual(settling([0.5, 0.6, 0.7], 0.95, 2), { state: 'changing' }, 'the reference cell not yet computed');
    assert.deepEqual(settling([0.96, null, 1], 0.95, 2), { state: 'settled', from: 0 }, 'missing cells do not break a run');
    assert.deepEqual(settling([0.96, 0.97, 1, 0.2], 0.95, 2), { state: 'settled', from: 0 }, 'columns after the reference are not read');
    assert.deepEqual(settling([1], 0.95, 0), { state: 'at-reference' }, 'one checkpoint: only itself');
    assert.deepEqual(settling([0.99], 0.95, -1), { state: 'changing' }, 'no reference');
  });

  it('settlingSummary counts only the layers settled before the reference', () => {
    const grid = {
      steps: [0, 10, 79, 105, 188],
      reference: 188,
      toNewest: [
        [0.94, 0.95, 0.97, 0.99, 1],
        [0.7, 0.8, 0.96, 0.98, 1],
        [0.6, 0.7, 0.8, 0.9, 1],
        [0.5, 0.6, 0.7, 0.8, null],
      ],
    };
    const s = settlingSummary(grid, 0.95);
    assert.deepEqual(
      s.layers.map((l) => l.state),
      ['settled', 'settled', 'at-reference', 'changing'],
    );
    assert.equal(s.settled, 2);
    assert.deepEqual(s.layers[0], { state: 'settled', from: 1 });
    // Live, the reference is the newest checkpoint: the same rule, against it.
    assert.equal(settlingSummary({ ...grid, reference: 105 }, 0.95).settled, 2);
    assert.deepEqual(settlingSummary({ ...grid, reference: 105 }, 0.95).layers[2], { state: 'changing' });
  });
});
