/** Live convergence on a simulated run: a column per checkpoint, the planted bottom-up order, stored and exported, and the layer × layer matrix. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { simulateRun } from '../../clients/node/simulate';
import { LiveClient } from '../../clients/node/live-client';
import type { ConvergenceGrid } from '../../lib/protocol';
import { CLI, startTestServer, type TestServer } from './helpers/server';

const exec = promisify(execFile);
let server: TestServer;
let runId: string;

before(async () => {
  server = await startTestServer();
  runId = await simulateRun({ url: server.ingestUrl, name: 'bottom-up', seed: 3, layers: 4, units: 24, examples: 160, checkpoints: 16, intervalMs: 0 });
  await server.analysis.idle();
});
after(async () => {
  await server.close();
});

/** First column from which a row stays at or above `level`. */
function settles(row: Array<number | null>, level: number): number {
  let at = row.length;
  for (let c = row.length - 1; c >= 0 && (row[c] ?? 0) >= level; c--) at = c;
  return at;
}

function assertBottomUp(layers: string[], rows: Array<Array<number | null>>, what: string) {
  const hidden = layers.map((name, l) => ({ name, at: settles(rows[l], 0.95) })).filter((x) => x.name !== 'logits');
  for (let i = 1; i < hidden.length; i++)
    assert.ok(
      hidden[i - 1].at < hidden[i].at,
      `${what}: ${hidden[i - 1].name} settles (col ${hidden[i - 1].at}) before ${hidden[i].name} (col ${hidden[i].at})`,
    );
}

test('the snapshot carries a complete grid per live metric, with the planted bottom-up order', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${runId}`);
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  live.close();
  assert.equal(snap.type, 'snapshot');
  const conv = snap.type === 'snapshot' ? snap.run?.analysis?.convergence : undefined;
  assert.ok(conv, 'convergence in the snapshot');
  assert.equal(conv.defaultMetric, 'svcca-k');
  for (const metric of ['svcca-k', 'cka'] as const) {
    const grid = conv.grids[metric] as ConvergenceGrid;
    assert.equal(grid.steps.length, 16);
    assert.equal(grid.reference, grid.steps[15]);
    assert.equal(grid.pending, 0);
    for (const row of grid.toNewest)
      assert.ok(
        row.every((v) => typeof v === 'number' && v >= 0 && v <= 1 + 1e-9),
        `${metric}: every cell computed`,
      );
    for (const row of grid.stability) assert.equal(row[0], null);
    assert.ok(
      grid.chance.every((v) => typeof v === 'number' && v > 0 && v < 0.9),
      `${metric}: chance baseline per layer`,
    );
    assertBottomUp(grid.layers, grid.toNewest, metric);
    if (metric === 'svcca-k')
      assert.ok(
        grid.k.every((row) => row.every((k) => k === 10)),
        'k = 10 per layer and checkpoint',
      );
  }
});

test('export --json prints the stored grid, and computes a metric that was not stored', async () => {
  for (const metric of ['svcca-k', 'cka', 'svcca'] as const) {
    const { stdout } = await exec(process.execPath, [CLI, 'export', runId, '--data', server.dataDir, '--json', '--metric', metric]);
    const out = JSON.parse(stdout);
    assert.deepEqual(out.layers, ['layer1', 'layer2', 'layer3', 'layer4', 'logits']);
    assert.equal(out.steps.length, 16);
    assert.equal(out.convergence.metric, metric);
    assert.equal(out.convergence.source, metric === 'svcca' ? 'computed' : 'stored');
    assertBottomUp(out.layers, out.convergence.toFinal, `export ${metric}`);
    if (metric === 'svcca')
      assert.ok(
        out.convergence.k[0].every((k: number) => k > 10),
        'the 99% rule keeps more than 10 directions here',
      );
  }
});

test('layer × layer matrix at a step: symmetric, unit diagonal, answered from the workers', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  const res = await live.request('layer-matrix', runId, { step: 800, metric: 'cka' });
  live.close();
  assert.equal(res.ok, true);
  const m = res.data as { layers: string[]; values: number[][]; chance: number };
  assert.equal(m.layers.length, 5);
  for (let i = 0; i < 5; i++) {
    assert.ok(Math.abs(m.values[i][i] - 1) < 1e-9);
    for (let j = 0; j < 5; j++) assert.equal(m.values[i][j], m.values[j][i]);
  }
  const bad = await (async () => {
    const l = await LiveClient.connect({ url: server.liveUrl });
    const r = await l.request('layer-matrix', runId, { step: 12345, metric: 'cka' });
    l.close();
    return r;
  })();
  assert.deepEqual([bad.ok, bad.code], [false, 'BAD_REQUEST']);
});

test('a run resumed after a server restart keeps its earlier columns and compares them with the new newest', async () => {
  const { IngestClient } = await import('../../clients/node/ingest-client');
  const { activationsAt, finalState, planRun } = await import('../../lib/sim/synthetic-run');
  const first = await startTestServer();
  const plan = planRun({ layers: 2, units: 12, examples: 80, checkpoints: 8, seed: 4 });
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const frames = (i: number) => plan.layers.map((l, li) => ({ layer: l.name, data: activationsAt(plan, li, i, finals[li]), shape: [l.units, 80] }));
  const decl = [plan.layers.map((l) => ({ name: l.name, units: l.units, kind: l.kind })), { examples: 80, labels: plan.labels }] as const;
  const a = await IngestClient.connect({ url: first.ingestUrl, run: { name: 'resumed' } });
  await a.declare(...decl);
  for (let i = 0; i < 4; i++) await a.checkpoint(plan.steps[i], frames(i));
  await first.analysis.idle();
  a.terminate();
  await first.close();

  const second = await startTestServer({ dataDir: first.dataDir });
  const b = await IngestClient.connect({ url: second.ingestUrl, run: { id: a.runId }, resume: true });
  await b.declare(...decl);
  for (let i = 4; i < 8; i++) await b.checkpoint(plan.steps[i], frames(i));
  await b.end();
  await b.close();
  await second.analysis.idle();
  const live = await LiveClient.connect({ url: second.liveUrl });
  live.subscribe(`run:${a.runId}`);
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  live.close();
  const grid = (snap.type === 'snapshot' ? snap.run!.analysis!.convergence!.grids['svcca-k'] : null) as ConvergenceGrid;
  assert.deepEqual(grid.steps, plan.steps);
  assert.equal(grid.reference, plan.steps[7]);
  for (const row of grid.toNewest)
    assert.ok(
      row.every((v) => typeof v === 'number'),
      'every earlier checkpoint compared with the final one',
    );
  for (const row of grid.stability)
    assert.ok(
      row.slice(1).every((v) => typeof v === 'number'),
      'stability across the restart too',
    );
  await second.close();
});
