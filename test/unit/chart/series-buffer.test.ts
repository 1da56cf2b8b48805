/** Growable series: appends, growth, gaps and re-logged steps. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appendPoints, createSeries, seriesFrom } from '../../../lib/chart/series-buffer';

describe('series buffer', () => {
  it('grows past its capacity and keeps order', () => {
    const s = createSeries(2);
    appendPoints(s, [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]);
    assert.equal(s.length, 5);
    assert.deepEqual([...s.xs.slice(0, 5)], [1, 2, 3, 4, 5]);
  });

  it('stores null as NaN', () => {
    const s = seriesFrom([1, 2], [null, 3]);
    assert.ok(Number.isNaN(s.ys[0]));
    assert.equal(s.ys[1], 3);
  });

  it('replaces from a re-logged step on', () => {
    const s = seriesFrom([1, 2, 3], [1, 2, 3]);
    appendPoints(s, [2], [20]);
    assert.equal(s.length, 2);
    assert.deepEqual([...s.ys.slice(0, 2)], [1, 20]);
  });
});
