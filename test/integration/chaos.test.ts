/** Faults at CI size: kill -9 during writes, and a full disk at the server level (bench/chaos.ts runs 20 kills). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runDiskFull } from '../../bench/chaos/disk-full';
import { runKills } from '../../bench/chaos/kill';

const KILLS = Number(process.env.LW_CHAOS_KILLS ?? 4);
const SEED = Number(process.env.LW_CHAOS_SEED ?? 11);

test(`kill -9 ×${KILLS} during writes (seed ${SEED}): every log reopens, no acknowledged checkpoint is lost, no partial record is read`, {
  timeout: 90_000,
}, async () => {
  const r = await runKills({ kills: KILLS, seed: SEED });
  assert.equal(r.kills, KILLS);
  assert.equal(r.survived, KILLS, 'the server restarted with every log valid after each kill');
  assert.ok(r.acked > KILLS, `${r.acked} checkpoints acknowledged`);
  assert.equal(r.recordsLost, 0);
  assert.equal(r.partialRecords, 0);
  assert.equal(r.logsUnreadable, 0);
  assert.equal(r.incompleteCheckpoints, 0);
});

test('disk full (2 MiB tmpfs): DISK_FULL to the trainer, the server stays up, the log stays consistent, ingest resumes', { timeout: 60_000 }, async (t) => {
  const r = await runDiskFull();
  if (r.skipped) return t.skip(r.skipped);
  assert.ok(r.ackedWhileFull > 0, 'checkpoints were stored before the disk filled');
  assert.ok(r.diskFullErrors > 0, 'the trainer got DISK_FULL');
  assert.ok(r.serverAlive, 'the server stayed up');
  assert.ok(r.liveAnswered, 'a viewer is still answered while the disk is full');
  assert.ok(r.ackedAfter > 0, 'ingest resumed when space returned');
  assert.equal(r.recordsLost, 0);
  assert.equal(r.logsUnreadable, 0);
});
