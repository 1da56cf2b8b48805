/** Replay state at a step, re-analysis with progress, comparing two runs, and importing a log over HTTP. */
import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { simulateRun } from '../../clients/node/simulate';
import { LiveClient } from '../../clients/node/live-client';
import { applyConvergencePatch, emptyGrid, type CompareMatrix, type ConvergenceGrid, type ConvergencePatch, type RunSnapshot } from '../../lib/protocol';
import { startTestServer, until, type TestServer } from './helpers/server';

let server: TestServer;
let a: string;
let b: string;

before(async () => {
  server = await startTestServer();
  // Each checkpoint is sent once the analysis of the one before is done (whatever the machine's load), so a viewer saw
  // every "to newest" cell of a reference before the next checkpoint arrived, and replay must show them all.
  const common = {
    url: server.ingestUrl,
    layers: 3,
    units: 16,
    examples: 120,
    checkpoints: 10,
    intervalMs: 20,
    beforeCheckpoint: () => server.analysis.idle(),
  };
  a = await simulateRun({ ...common, name: 'seed-a', seed: 11 });
  b = await simulateRun({ ...common, name: 'seed-b', seed: 11 });
  await server.analysis.idle();
});
after(async () => {
  await server.close();
});

async function ask(what: string, run: string, params: Record<string, string | number | boolean>) {
  const live = await LiveClient.connect({ url: server.liveUrl });
  try {
    return await live.request(what, run, params);
  } finally {
    live.close();
  }
}

test('run-at returns what a viewer saw when that step was the newest checkpoint', async () => {
  const res = await ask('run-at', a, { step: 500 });
  assert.equal(res.ok, true);
  const snap = res.data as RunSnapshot;
  assert.deepEqual(snap.checkpoints.steps, [100, 200, 300, 400, 500]);
  assert.equal(snap.meta.lastStep, 500);
  assert.ok(Object.values(snap.scalars).every((s) => s.steps.every((x) => x <= 500)));
  const grid = snap.analysis!.convergence!.grids['svcca-k'] as ConvergenceGrid;
  assert.deepEqual(grid.steps, [100, 200, 300, 400, 500]);
  assert.equal(grid.reference, 500);
  // The live run computed every "to newest" cell of reference 500 before step 600 was sent (see before()): the replay shows them all.
  for (const row of grid.toNewest) assert.ok(row.every((v) => typeof v === 'number'));
  const end = await ask('run-at', a, { step: 1000 });
  const endGrid = (end.data as RunSnapshot).analysis!.convergence!.grids['svcca-k'] as ConvergenceGrid;
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${a}`);
  const full = await live.waitFor((m) => m.type === 'snapshot');
  live.close();
  const liveGrid = full.type === 'snapshot' ? (full.run!.analysis!.convergence!.grids['svcca-k'] as ConvergenceGrid) : null;
  assert.deepEqual(endGrid.toNewest, liveGrid!.toNewest, 'the end of the replay equals the end of the live run');
  const missing = await ask('run-at', a, { step: 'x' as unknown as number });
  assert.deepEqual([missing.ok, missing.code], [false, 'BAD_REQUEST']);
});

test('compare: two seeds of the same setup, layer by layer, at matched steps', async () => {
  const res = await ask('compare', a, { other: b, metric: 'cka' });
  assert.equal(res.ok, true, res.message);
  const m = res.data as CompareMatrix;
  assert.deepEqual(m.steps, [1000, 1000]);
  assert.equal(m.values.length, 4);
  assert.equal(m.values[0].length, 4);
  // Same seed, same data: each layer matches itself exactly.
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(m.values[i][i]! - 1) < 1e-6);
  assert.ok(typeof m.chance === 'number');
  const early = await ask('compare', a, { other: b, metric: 'svcca-k', step: 300 });
  assert.deepEqual((early.data as CompareMatrix).steps, [300, 300]);
});

test('reanalyse: SVCCA with another threshold, with progress, stored beside the live grids', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  const progress: string[] = [];
  live.subscribe(`run:${a}`);
  await live.waitFor((m) => m.type === 'snapshot');
  const done = live.waitFor((m) => m.type === 'delta' && m.run?.kind === 'reanalysis' && m.run.progress.status === 'done', 30_000);
  live.ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.run?.kind === 'reanalysis') progress.push(`${m.run.progress.status} ${m.run.progress.done}/${m.run.progress.total}`);
  });
  const res = await live.request('reanalyse', a, { metric: 'svcca', threshold: 0.9 });
  assert.deepEqual(res.data, { key: 'svcca|threshold=0.9' });
  await done;
  live.close();
  assert.ok(progress[0].startsWith('running'));
  // A new viewer gets a snapshot plus the deltas since it (the server may reuse a snapshot up to a second old).
  const deltas: ConvergencePatch[] = [];
  const again = await LiveClient.connect({ url: server.liveUrl, onDelta: (d) => d.run?.kind === 'convergence' && deltas.push(d.run.patch) });
  again.subscribe(`run:${a}`);
  const snap = await again.waitFor((m) => m.type === 'snapshot');
  await new Promise((r) => setTimeout(r, 300));
  again.close();
  const grids = snap.type === 'snapshot' ? { ...snap.run!.analysis!.convergence!.grids } : {};
  for (const patch of deltas) {
    const key = patch.key ?? patch.metric;
    grids[key] ??= emptyGrid(patch.metric, ['layer1', 'layer2', 'layer3', 'logits']);
    applyConvergencePatch(grids[key] as ConvergenceGrid, patch);
  }
  const grid = grids['svcca|threshold=0.9'] as ConvergenceGrid;
  assert.ok(grid, `the new grid is in the snapshot (grids: ${Object.keys(grids).join(', ')})`);
  assert.ok(grids['svcca-k'], 'the live grids are still there');
  assert.equal(grid.pending, 0);
  assert.ok(grid.toNewest.every((row) => row.every((v) => typeof v === 'number')));
  assert.ok(
    grid.k[0].every((k) => typeof k === 'number' && k < 16),
    'a 90% threshold keeps fewer directions',
  );
});

test('POST /api/import adds a valid log and rejects a corrupted one, leaving the list unchanged', async () => {
  const log = await readFile(path.join(server.dataDir, 'runs', a, 'log.lwlog'));
  const before = server.registry.list().length;
  const bad = Buffer.from(log);
  bad[bad.length - 100] ^= 0xff;
  const rejected = await fetch(`${server.url}/api/import`, {
    method: 'POST',
    body: bad.subarray(0, bad.length - 50),
    headers: { 'x-filename': 'broken.lwlog' },
  });
  assert.equal(rejected.status, 400);
  const err = (await rejected.json()) as { error: { code: string } };
  assert.match(err.error.code, /^LOG_(CORRUPT|TRUNCATED)$/);
  const notALog = await fetch(`${server.url}/api/import`, { method: 'POST', body: 'hello', headers: { 'x-filename': '../../etc/passwd' } });
  assert.deepEqual([notALog.status, ((await notALog.json()) as { error: { code: string } }).error.code], [400, 'NOT_A_LOG']);
  assert.equal(server.registry.list().length, before);
  const ok = await fetch(`${server.url}/api/import`, { method: 'POST', body: log, headers: { 'x-filename': 'copy-of-a.lwlog' } });
  assert.equal(ok.status, 200, await ok.clone().text());
  const { run } = (await ok.json()) as { run: { id: string; checkpoints: number } };
  assert.equal(run.checkpoints, 10);
  await until(() => server.registry.list().length === before + 1, 2000, 'the imported run listed');
});

test('run-at on a long run (keyframes) equals replaying every stored patch from the start', async () => {
  const { AnalysisTimeline } = await import('../../server/analysis/timeline');
  const { readAnalysis, applyStored } = await import('../../server/analysis/analysis-store');
  const long = await simulateRun({ url: server.ingestUrl, name: 'long', seed: 3, layers: 2, units: 4, examples: 24, checkpoints: 140, intervalMs: 0 });
  await server.analysis.idle();
  // idle() means computed, not yet written: wait until the analysis log stops growing, then let both views read one
  // copy (a late record, e.g. a chance baseline, landing between two reads made them differ once in CI).
  const live = path.join(server.dataDir, 'runs', long, 'analysis.lwlog');
  let size = -1,
    stableSince = Date.now();
  await until(
    async () => {
      const now = (await stat(live)).size;
      if (now !== size) [size, stableSince] = [now, Date.now()];
      return Date.now() - stableSince >= 300;
    },
    10_000,
    'the analysis log to settle',
  );
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'lw-run-at-')), 'analysis.lwlog');
  await copyFile(live, file);
  const layers = ['layer1', 'layer2', 'logits'];
  const timeline = await AnalysisTimeline.read(file, layers);
  for (const step of [100, 6400, 6500, 12800, 14000]) {
    const brute = new Map<string, ConvergenceGrid>();
    for await (const rec of readAnalysis(file)) {
      if (rec.type !== 'convergence' || rec.patch.key) continue;
      if (rec.patch.addSteps?.some((s) => s > step)) break;
      applyStored(brute, rec.patch, layers);
    }
    assert.deepEqual(timeline.gridsAt(step), brute, `step ${step}`);
    assert.equal(brute.get('svcca-k')!.steps.at(-1), step);
  }
});
