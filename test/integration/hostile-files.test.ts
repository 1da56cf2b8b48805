/** Hostile run-log files at CI size: the crafted cases and seeded mutations uploaded and planted beside a streaming trainer (bench/chaos.ts runs 300 and 40). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runHostileFiles } from '../../bench/chaos/hostile-files';
import { HOSTILE_LOGS } from '../fixtures/hostile-logs';

const FILES = Number(process.env.LW_FILES ?? 25);
const SEED = Number(process.env.LW_FILES_SEED ?? 20240);

test(`hostile files: the crafted logs and ${FILES} mutations (seed ${SEED}); stable codes, nothing broken stored, the server stays up and serves`, {
  timeout: 300_000,
}, async () => {
  const said: string[] = [];
  const r = await runHostileFiles({ files: FILES, planted: 4, seed: SEED, log: (line: string) => said.push(line) });
  const why = said.join('\n');
  assert.equal(r.uploaded, HOSTILE_LOGS.length + FILES, why);
  assert.ok(r.serverAlive, `the server process is alive and answers /api/health\n${why}`);
  assert.equal(r.serverErrors, 0, `the server logged no internal error\n${why}`);
  assert.equal(r.badAnswers, 0, `every refusal carries a stable storage code\n${why}`);
  assert.ok(r.refused >= HOSTILE_LOGS.length, 'every crafted case is refused');
  assert.equal(r.acceptedBroken, 0, `an accepted log is stored byte for byte and opens\n${why}`);
  assert.equal(r.plantedUnopened, 0, `every planted run opens for a viewer\n${why}`);
  assert.ok(r.acked > 0, 'the well-behaved trainer kept getting acks');
  assert.equal(r.recordsLost, 0, 'every acknowledged checkpoint is in the log');
  assert.deepEqual(r.audit.unreadable, [], 'every stored log passes the framing and content checks');
});
