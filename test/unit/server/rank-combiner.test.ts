/** Combining the scalars of the ranks of a distributed run: when a step is complete, partial after a rank ends or times out, in order. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_WAITING_VALUES, RankCombiner } from '../../../server/ingest/rank-combiner';
import { parseRankSeries, rankSeriesName, reduceValues } from '../../../lib/protocol';

test('a step is combined only when every rank has given its value', () => {
  const c = new RankCombiner(3);
  assert.deepEqual(c.add(0, 10, 'mean', { loss: 1 }, 0), []);
  assert.deepEqual(c.add(2, 10, 'mean', { loss: 4 }, 0), []);
  assert.equal(c.oldest(), 0);
  const out = c.add(1, 10, 'mean', { loss: 7 }, 5);
  assert.deepEqual(out, [{ step: 10, reduce: 'mean', values: { loss: 4 }, ranks: [0, 1, 2], worldSize: 3 }]);
  assert.equal(c.oldest(), null);
});

test('sum and max; a null on any rank makes the step null', () => {
  const c = new RankCombiner(2);
  c.add(0, 1, 'sum', { n: 3, peak: 2 }, 0);
  c.add(0, 1, 'max', { peak: 2 }, 0);
  const out = c.add(1, 1, 'sum', { n: 4, peak: null }, 0);
  assert.deepEqual(out, [{ step: 1, reduce: 'sum', values: { n: 7, peak: null }, ranks: [0, 1], worldSize: 2 }]);
  assert.deepEqual(c.add(1, 1, 'max', { peak: 9 }, 0)[0].values, { peak: 9 });
  assert.equal(reduceValues('mean', [1, Number.NaN]), null);
});

test('a rank that moved past a step is not waited for at that step', () => {
  const c = new RankCombiner(2);
  c.add(0, 10, 'mean', { loss: 1 }, 0);
  c.add(0, 20, 'mean', { loss: 2 }, 0);
  // Rank 1 logs only every 20 steps: its value at 20 says it will never send 10.
  const out = c.add(1, 20, 'mean', { loss: 4 }, 0);
  assert.deepEqual(
    out.map((s) => [s.step, s.values.loss, s.ranks]),
    [
      [10, 1, [0]],
      [20, 3, [0, 1]],
    ],
  );
});

test('a rank that ended is not waited for', () => {
  const c = new RankCombiner(2);
  c.add(1, 5, 'mean', { loss: 1 }, 0);
  c.add(0, 5, 'mean', { loss: 3 }, 0);
  c.add(0, 6, 'mean', { loss: 5 }, 0);
  assert.deepEqual(c.end(1), [{ step: 6, reduce: 'mean', values: { loss: 5 }, ranks: [0], worldSize: 2 }]);
  assert.deepEqual(c.add(0, 7, 'mean', { loss: 8 }, 0)[0].ranks, [0]);
});

test('a step that waited waitMs is combined from the ranks that gave a value; a late value is left out', () => {
  const c = new RankCombiner(2);
  c.add(0, 1, 'mean', { loss: 1 }, 1000);
  c.add(0, 2, 'mean', { loss: 2 }, 5000);
  assert.deepEqual(c.expire(60_999, 60_000), []);
  const out = c.expire(61_000, 60_000);
  assert.deepEqual(
    out.map((s) => [s.step, s.ranks]),
    [[1, [0]]],
  );
  assert.deepEqual(c.add(1, 1, 'mean', { loss: 9 }, 61_001), []);
  assert.equal(c.late, 1);
  // Step 2 still waits for rank 1, which arrives in time.
  assert.deepEqual(c.add(1, 2, 'mean', { loss: 4 }, 61_002)[0].values, { loss: 3 });
});

test('flush combines everything still waiting, in step order per series', () => {
  const c = new RankCombiner(2);
  c.add(0, 3, 'mean', { a: 1 }, 0);
  c.add(0, 1, 'mean', { b: 1 }, 0);
  c.add(0, 2, 'max', { a: 1 }, 0);
  const out = c.flush();
  assert.deepEqual(
    out.map((s) => s.step),
    [1, 2, 3],
  );
  assert.equal(c.oldest(), null);
});

test('the values held while waiting are bounded: the oldest steps are combined first', () => {
  const c = new RankCombiner(2);
  const n = MAX_WAITING_VALUES + 1;
  let combined = 0;
  for (let step = 0; step < n; step++) combined += c.add(0, step, 'mean', { x: step }, step).length;
  assert.ok(combined >= MAX_WAITING_VALUES / 2, `combined ${combined}`);
  const oldest = c.oldest()!;
  assert.ok(oldest > 0 && oldest >= n - MAX_WAITING_VALUES / 2 - 1);
});

test('per-rank series names round-trip', () => {
  assert.equal(rankSeriesName('system/cpu_percent', 3), 'system/cpu_percent{rank=3}');
  assert.deepEqual(parseRankSeries('loss{rank=12}'), { name: 'loss', rank: 12 });
  assert.equal(parseRankSeries('loss'), null);
});
