/** Fuzz at CI size: seeded malformed and hostile frames against a real server (bench/chaos.ts runs 10,000). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../bench/chaos/fuzz';

const FRAMES = Number(process.env.LW_FUZZ_FRAMES ?? 1500);
const SEED = Number(process.env.LW_FUZZ_SEED ?? 20240);

test(`fuzz: ${FRAMES} hostile frames (seed ${SEED}); the server stays up, keeps serving, and every log validates`, { timeout: 120_000 }, async () => {
  const r = await runFuzz({ frames: FRAMES, seed: SEED });
  assert.ok(r.framesFuzzed >= FRAMES, `${r.framesFuzzed} frames sent`);
  assert.ok(r.serverAlive, 'the server process is alive and answers /api/health');
  assert.equal(r.serverErrors, 0, 'the server logged no internal error');
  assert.ok(r.acked > 0, 'the well-behaved trainer kept getting acks');
  assert.equal(r.recordsLost, 0, 'every acknowledged checkpoint is in the log');
  assert.ok(r.livePongs >= r.livePings - 2, `the viewer got ${r.livePongs}/${r.livePings} pongs within 2 s`);
  assert.deepEqual(r.audit.unreadable, [], 'every stored log validates strictly');
  assert.deepEqual(r.audit.incomplete, [], 'no stored checkpoint lacks a frame');
  assert.ok(r.audit.logs > 5, `${r.audit.logs} logs stored`);
});
