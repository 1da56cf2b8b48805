import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHANCE_SEED } from '../../../server/analysis/jobs';
import { AnalysisPool, isObsolete, PRIORITY } from '../../../server/analysis/pool';

test('a job gets the result of its own op; after close, jobs are refused as obsolete (not failures)', async () => {
  const pool = new AnalysisPool(1);
  const job = { op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED } as const;
  try {
    const [a, b] = await Promise.all([pool.run(job, PRIORITY.idle), pool.run({ ...job, units: 8 }, PRIORITY.idle)]);
    assert.equal(a.op, 'chance');
    assert.ok(a.ok && b.ok, 'both computed');
    // The type says `chance` is a number here; the values say they were computed for their own shapes.
    assert.ok(a.chance > 0 && a.chance < 1 && b.chance > a.chance, `${a.chance} < ${b.chance}: more units per example, more chance similarity`);
    // A job the worker cannot do answers with its op, a stable code and a message, not a result.
    const bad = await pool.run({ ...job, examples: 1, units: 0 }, PRIORITY.idle);
    assert.deepEqual([bad.op, bad.ok, bad.ok ? null : bad.code], ['chance', false, 'EMPTY_INPUT']);
  } finally {
    await pool.close();
  }
  const refused = await pool.run(job, PRIORITY.idle).then(
    () => null,
    (err: unknown) => err,
  );
  assert.ok(isObsolete(refused), 'a job after close is obsolete work');
});
