/** Fuzz at CI size: seeded malformed and hostile frames against a real server (bench/chaos.ts runs 10,000). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runFuzz } from '../../bench/chaos/fuzz';

const FRAMES = Number(process.env.LW_FUZZ_FRAMES ?? 1500);
const SEED = Number(process.env.LW_FUZZ_SEED ?? 20240);

test(`fuzz: ${FRAMES} hostile frames (seed ${SEED}); the server stays up, keeps serving, and every log validates`, { timeout: 300_000 }, async () => {
  // The harness reports an early server exit with the tail of the server's output: kept for the failure message.
  const said: string[] = [];
  const r = await runFuzz({ frames: FRAMES, seed: SEED, log: (line: string) => said.push(line) });
  // Every message names its assertion and carries all the figures, so a cut CI log still says what failed.
  const { audit, ...figures } = r;
  const why = (what: string) => `${what}\nfigures: ${JSON.stringify(figures)}\naudit: ${JSON.stringify(audit).slice(0, 2000)}\n${said.join('\n')}`;
  assert.ok(r.framesFuzzed >= FRAMES, why(`all ${FRAMES} frames were sent; ${r.framesFuzzed} were`));
  assert.ok(r.serverAlive, why('the server process is alive and answers /api/health'));
  assert.equal(r.serverErrors, 0, why('the server logged no internal error'));
  assert.ok(r.acked > 0, why('the well-behaved trainer kept getting acks'));
  assert.equal(r.recordsLost, 0, why('every acknowledged checkpoint is in the log'));
  assert.equal(r.liveUnanswered, 0, why(`the viewer got an answer to every ping; ${r.liveUnanswered} of ${r.livePings} got none`));
  assert.ok(
    r.livePongs >= r.livePings - 2,
    why(
      `the viewer got ${r.livePongs}/${r.livePings} pongs within 2 s of server time (the slowest took ${r.liveSlowestServedMs} ms, ${r.liveSlowestMs} ms of wall time; the server waited ${r.serverCpuWaitMs} ms for a CPU)`,
    ),
  );
  assert.deepEqual(audit.unreadable, [], why('every stored log validates strictly'));
  assert.deepEqual(audit.incomplete, [], why('no stored checkpoint lacks a frame'));
  assert.ok(audit.logs > 5, why(`more than 5 logs stored; ${audit.logs} were`));
  // Issue 21's connection cases are part of the seeded corpus: each must have been tried, and each must have held.
  const cc = r.connectionCases;
  assert.ok(cc.pipelinedHellos > 0 && cc.idleSockets > 0 && cc.crossOrigin > 0, why(`every connection case was tried: ${JSON.stringify(cc)}`));
  assert.deepEqual(
    [cc.ghostRuns, cc.idleNotClosed, cc.crossOriginAccepted],
    [0, 0, 0],
    why(`no ghost run, idle socket left open or cross-origin upgrade let in: ${JSON.stringify(cc)}`),
  );
});
