/** Fuzz at CI size: seeded malformed and hostile frames against a real server (bench/chaos.ts runs 10,000). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../bench/chaos/fuzz';

const FRAMES = Number(process.env.LW_FUZZ_FRAMES ?? 1500);
const SEED = Number(process.env.LW_FUZZ_SEED ?? 20240);

test(`fuzz: ${FRAMES} hostile frames (seed ${SEED}); the server stays up, keeps serving, and every log validates`, { timeout: 120_000 }, async () => {
  // The harness reports an early server exit with the tail of the server's output: kept for the failure message.
  const said: string[] = [];
  const r = await runFuzz({ frames: FRAMES, seed: SEED, log: (line: string) => said.push(line) });
  assert.ok(r.framesFuzzed >= FRAMES, `${r.framesFuzzed} frames sent\n${said.join('\n')}`);
  assert.ok(r.serverAlive, `the server process is alive and answers /api/health\n${said.join('\n')}`);
  assert.equal(r.serverErrors, 0, 'the server logged no internal error');
  assert.ok(r.acked > 0, 'the well-behaved trainer kept getting acks');
  assert.equal(r.recordsLost, 0, 'every acknowledged checkpoint is in the log');
  assert.ok(r.livePongs >= r.livePings - 2, `the viewer got ${r.livePongs}/${r.livePings} pongs within 2 s`);
  assert.deepEqual(r.audit.unreadable, [], 'every stored log validates strictly');
  assert.deepEqual(r.audit.incomplete, [], 'no stored checkpoint lacks a frame');
  assert.ok(r.audit.logs > 5, `${r.audit.logs} logs stored`);
  // Issue 21's connection cases are part of the seeded corpus: each must have been tried, and each must have held.
  const cc = r.connectionCases;
  assert.ok(cc.pipelinedHellos > 0 && cc.idleSockets > 0 && cc.crossOrigin > 0, JSON.stringify(cc));
  assert.deepEqual([cc.ghostRuns, cc.idleNotClosed, cc.crossOriginAccepted], [0, 0, 0], JSON.stringify(cc));
});
