import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { test } from 'node:test';
import { CHANCE_SEED } from '../../../server/analysis/jobs';
import { AnalysisPool, BACKGROUND_NICE_STEPS, isObsolete, PRIORITY } from '../../../server/analysis/pool';

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

test('analysis workers run below the server: live workers at the pool nice, background workers lower still, the main thread untouched', {
  skip: process.platform !== 'linux',
}, async () => {
  const count = (nice: number) => threadNices().filter((n) => n === nice).length;
  const background = 7 + BACKGROUND_NICE_STEPS;
  const before = { live: count(7), background: count(background) };
  const pool = new AnalysisPool(2, { nice: 7 });
  try {
    // A live job and a background job answered mean workers of both kinds run; each sets its priority as it starts, so wait for all three.
    const job = { op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED } as const;
    await Promise.all([pool.run(job, PRIORITY.newest), pool.run({ ...job, units: 6 }, PRIORITY.idle)]);
    const deadline = Date.now() + 10_000;
    while ((count(7) - before.live < 2 || count(background) - before.background < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    // Two live workers and one background worker (a thread a worker starts, such as OpenBLAS's, inherits its priority).
    assert.ok(count(7) - before.live >= 2, `${count(7) - before.live} more threads at nice 7`);
    assert.ok(count(background) - before.background >= 1, `${count(background) - before.background} more threads at nice ${background}`);
    assert.equal(os.getPriority(0), 0, 'the main thread keeps its priority');
  } finally {
    await pool.close();
  }
  const plain = new AnalysisPool(1, { nice: 0 });
  try {
    const before0 = threadNices().filter((n) => n === 0).length;
    await Promise.all([
      plain.run({ op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED }, PRIORITY.newest),
      plain.run({ op: 'chance', metric: 'cka', opts: {}, units: 5, examples: 12, seed: CHANCE_SEED }, PRIORITY.idle),
    ]);
    // nice 0: the live worker stays at the server's priority; the background worker is still below it.
    assert.ok(threadNices().filter((n) => n === 0).length > before0, 'nice 0: the live worker is not lowered');
  } finally {
    await plain.close();
  }
});

test('background work never occupies a live worker: a newest job starts while every background worker is busy', async () => {
  const pool = new AnalysisPool(1, { nice: 0 });
  try {
    // A chance baseline of a big shape keeps the one background worker busy for a while.
    const slow = pool.run({ op: 'chance', metric: 'svcca', opts: {}, units: 400, examples: 2000, seed: CHANCE_SEED }, PRIORITY.idle);
    const queuedBehind = pool.run({ op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED }, PRIORITY.backfill);
    let slowDone = false;
    void slow.then(() => (slowDone = true));
    const urgent = await pool.run({ op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED }, PRIORITY.newest);
    assert.ok(urgent.ok, 'the newest job ran');
    assert.equal(slowDone, false, 'it did not wait for the background job');
    await Promise.all([slow, queuedBehind]);
  } finally {
    await pool.close();
  }
});

test('a job source is made only when a worker takes it; a source that makes no job is dropped as obsolete', async () => {
  const pool = new AnalysisPool(1, { nice: 0 });
  try {
    const job = { op: 'chance', metric: 'cka', opts: {}, units: 4, examples: 12, seed: CHANCE_SEED } as const;
    // The one live worker is busy with a slow job; the source queued behind it is not made yet.
    const slow = pool.run({ op: 'chance', metric: 'svcca', opts: {}, units: 400, examples: 2000, seed: CHANCE_SEED }, PRIORITY.newest);
    let made = 0;
    const lazy = pool.run(() => {
      made++;
      return job;
    }, PRIORITY.newest);
    const none = pool
      .run(() => null, PRIORITY.newest)
      .then(
        () => null,
        (err: unknown) => err,
      );
    assert.equal(made, 0, 'not made while no worker is free');
    const [res] = await Promise.all([lazy, slow]);
    assert.equal(made, 1, 'made once, when the worker took it');
    assert.ok(res.ok && res.op === 'chance' && res.chance > 0);
    assert.ok(isObsolete(await none), 'a source that makes no job is obsolete work, not a failure');
  } finally {
    await pool.close();
  }
});
