import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
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

/** Nice values of this process's threads, from /proc (Linux). */
function threadNices(): number[] {
  return readdirSync('/proc/self/task').map((tid) => Number(readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(')').pop()!.trim().split(' ')[16]));
}

test('analysis workers run below the server: worker threads at the pool nice, the main thread untouched', { skip: process.platform !== 'linux' }, async () => {
  const before = threadNices().filter((n) => n === 7).length;
  const pool = new AnalysisPool(2, { nice: 7 });
  try {
    // A job answered by each worker means both have started (and set their priority at start).
    const job = { op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED } as const;
    await Promise.all([pool.run(job, PRIORITY.newest), pool.run({ ...job, units: 6 }, PRIORITY.idle)]);
    // At least the two workers (a thread a worker starts, such as OpenBLAS's, inherits its priority).
    const lowered = threadNices().filter((n) => n === 7).length - before;
    assert.ok(lowered >= 2, `${lowered} more threads at nice 7`);
    assert.equal(os.getPriority(0), 0, 'the main thread keeps its priority');
  } finally {
    await pool.close();
  }
  const plain = new AnalysisPool(1, { nice: 0 });
  try {
    const before0 = threadNices().filter((n) => n !== 0).length;
    await plain.run({ op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED }, PRIORITY.idle);
    assert.equal(threadNices().filter((n) => n !== 0).length, before0, 'nice 0: no thread lowered');
  } finally {
    await plain.close();
  }
});
