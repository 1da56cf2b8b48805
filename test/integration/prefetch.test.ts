/**
 * Layers prepared while their checkpoint arrives (server/analysis/prefetch.ts): the stored checkpoint's column uses them,
 * its values are those computed from the data it stored, and a checkpoint that failed half-way leaves what was prepared
 * of it unused, even when the trainer sends the same step again with other data.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { compare, gaussianMatrix, prepareFor, Rng } from '../../lib/analysis';
import { encodeFrame, type ConvergenceGrid } from '../../lib/protocol';
import { activationsAt, finalState, planRun } from '../../lib/sim/synthetic-run';
import { PREFETCH_MIN_BYTES } from '../../server/analysis/prefetch';
import { startTestServer, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer({ workers: 2 });
});
after(async () => {
  await server.close();
});

// Two hidden layers wide enough to be prepared ahead (512 × 600 float32 = 1.2 MB), and 10 logits that are not.
const plan = planRun({ layers: 2, units: 512, examples: 600, checkpoints: 4, seed: 5 });
const finals = plan.layers.map((_, l) => finalState(plan, l));
const data = (l: number, c: number) => activationsAt(plan, l, c, finals[l]);
const names = plan.layers.map((l) => l.name);
/** Seeded noise the size of a hidden layer: the failed attempt's data. */
const noise = (l: number) => Float32Array.from(gaussianMatrix(new Rng(900 + l), 512, 600));
const wide = plan.layers.filter((l) => 4 * l.units * 600 >= PREFETCH_MIN_BYTES).length;

test('a column built on prepared-ahead layers equals the metric on the stored data; a failed checkpoint’s layers are never used', async () => {
  assert.equal(wide, 2, 'two layers are wide enough to be prepared ahead');
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'prefetch' } });
  await trainer.declare(
    plan.layers.map((l) => ({ name: l.name, units: l.units })),
    { examples: 600 },
  );
  const frame = (c: number, l: number, values = data(l, c), shape = [plan.layers[l].units, 600]) =>
    encodeFrame({ run: trainer.runId, step: plan.steps[c], layer: names[l], shape }, values);
  // Each checkpoint after the analysis of the one before is done: a frame is prepared ahead only while no live work waits.
  const send = async (c: number) => {
    await trainer.sendCheckpointFrames(
      plan.steps[c],
      names,
      names.map((_, l) => frame(c, l)),
    );
    await server.analysis.idle();
  };
  const before = { ...server.analysis.prefetch.counts };

  await send(0);
  // Checkpoint 1, first attempt: both wide layers arrive with other data (noise), then the logits with the wrong shape
  // fail the checkpoint, which is not stored.
  const failed = trainer.sendCheckpointFrames(plan.steps[1], names, [
    frame(1, 0, noise(0)),
    frame(1, 1, noise(1)),
    frame(1, 2, new Float32Array(10 * 599), [10, 599]),
  ]);
  await assert.rejects(failed, /599|shape|examples/i);
  await server.analysis.idle();
  // The same step again, as it should be, then two more.
  for (const c of [1, 2, 3]) await send(c);
  await trainer.end();
  await trainer.close();
  await server.analysis.idle();

  const counts = server.analysis.prefetch.counts;
  // The failed attempt's two wide layers, then two per stored checkpoint after the first (whose live analysis starts
  // with it); with the workers free as each frame arrives, every one is started at once.
  assert.equal(counts.queued - before.queued, 2 + 2 * 3, 'queued: 2 of the failed attempt + 2 per later checkpoint');
  assert.equal(counts.started - before.started, 2 + 2 * 3, 'every queued frame started');
  assert.equal(counts.claimed - before.claimed, 2 * 3, 'used: only those of the checkpoints that were stored');

  const grid = server.analysis.snapshot(trainer.runId)?.grids['svcca-k'] as ConvergenceGrid;
  assert.equal(grid.steps.length, 4);
  const prepared = (l: number, c: number) => prepareFor({ data: data(l, c), units: plan.layers[l].units, examples: 600 }, 'svcca-k');
  let worst = 0;
  for (let l = 0; l < plan.layers.length; l++) {
    for (let c = 1; c < 4; c++) {
      const stability = compare(prepared(l, c - 1), prepared(l, c), 'svcca-k').value;
      worst = Math.max(worst, Math.abs((grid.stability[l][c] as number) - stability));
    }
    for (let c = 0; c < 4; c++) {
      const toNewest = compare(prepared(l, c), prepared(l, 3), 'svcca-k').value;
      worst = Math.max(worst, Math.abs((grid.toNewest[l][c] as number) - toNewest));
    }
  }
  assert.ok(worst <= 1e-6, `every stability and "to newest" cell equals svcca-k of the stored data (largest difference ${worst})`);
  // The failed attempt's data would have given other values: checkpoint 1 against the final state is not its stability.
  const wrong = compare(prepared(0, 0), prepareFor({ data: noise(0), units: 512, examples: 600 }, 'svcca-k'), 'svcca-k').value;
  assert.ok(Math.abs(wrong - (grid.stability[0][1] as number)) > 1e-3, `the failed attempt's layer would have shown ${wrong}`);
});
