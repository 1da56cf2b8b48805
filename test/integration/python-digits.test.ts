/**
 * End to end with a real PyTorch run (the digits MLP through the Python client, trained once for every test here): the
 * stored CKA shows the first hidden layer settling before the last; an export carries the run's stored analysis, so
 * `layerwatch replay`, `layerwatch import` and POST /api/import open it complete and equal to the live analysis; a log
 * without it (what exports were before) is analysed on open, with progress, and ends complete and equal too.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import type { ConvergenceGrid, RunSnapshot } from '../../lib/protocol';
import { LiveClient } from '../../clients/node/live-client';
import { readRunLog } from '../../server/storage/run-log-reader';
import { viewRun, type RunView } from './helpers/run-viewer';
import { CLI, ROOT, startTestServer, tempDir, until, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const skip = !existsSync(PYTHON) && 'no /usr/bin/python3';
const METRICS = ['svcca-k', 'cka'];

const CHECKPOINTS = 30;
let server: TestServer;
let runId = '';
let accuracy = 0;
let exported = '';
let live: RunView;

before(async () => {
  if (skip) return;
  server = await startTestServer({ workers: 2 });
  const { stdout } = await exec(
    PYTHON,
    [path.join(ROOT, 'examples/digits_mlp.py'), '--url', server.ingestUrl, '--epochs', '8', '--seed', '1', '--checkpoints', String(CHECKPOINTS), '--json'],
    {
      timeout: 240_000,
      env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') },
    },
  );
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
  runId = last.run_id;
  accuracy = last.test_accuracy;
  await server.analysis.idle();
  exported = path.join(await tempDir(), 'run.lwlog');
  await exec(process.execPath, [CLI, 'export', runId, '--data', server.dataDir, '--log', '-o', exported]);
  live = await viewRun(server.liveUrl, runId);
});
after(async () => {
  live?.close();
  await server?.close();
});

/** The parts of a grid the views read, for comparing two analyses of the same run. */
const readable = (g: ConvergenceGrid | undefined) =>
  g && { steps: g.steps, reference: g.reference, toNewest: g.toNewest, stability: g.stability, k: g.k, chance: g.chance, pending: g.pending };

/** Asserts that a viewer sees the live analysis of the run: every live metric's grid, and the concept statistics. */
function assertSameAnalysis(view: RunView, what: string): void {
  for (const metric of METRICS) assert.deepEqual(readable(view.grids[metric]), readable(live.grids[metric]), `${what}: ${metric}`);
  assert.deepEqual(view.concepts?.cells, live.concepts?.cells, `${what}: concept cells`);
  assert.deepEqual(view.concepts?.chance, live.concepts?.chance, `${what}: concept chance`);
}

/** Starts `layerwatch replay FILE --no-pages` and returns its URL and a stop function. */
async function replay(file: string): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, [CLI, 'replay', file, '--port', '0', '--no-pages'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`replay exited ${code}: ${out}`)));
  });
  return { url, stop: () => child.kill('SIGTERM') };
}

async function runAt(liveUrl: string, id: string, step: number): Promise<RunSnapshot> {
  const client = await LiveClient.connect({ url: liveUrl });
  try {
    const res = await client.request('run-at', id, { step });
    assert.equal(res.ok, true, res.message);
    return res.data as RunSnapshot;
  } finally {
    client.close();
  }
}

async function postImport(url: string, file: string, name: string): Promise<string> {
  const res = await fetch(`${url}/api/import`, { method: 'POST', body: await readFile(file), headers: { 'x-filename': name } });
  const body = (await res.json()) as { run?: { id: string }; error?: { code: string } };
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.run!.id;
}

/** Mean of 1 − similarity over the checkpoints (area under the curve, per checkpoint). */
const area = (row: Array<number | null>) => row.reduce((s: number, v) => s + (1 - (v ?? 0)), 0) / row.length;

test('digits MLP: every checkpoint arrives and h1 settles before h3 (CKA to final)', { skip }, async () => {
  assert.ok(accuracy > 0.85, `test accuracy ${accuracy}`);
  const { stdout: json } = await exec(process.execPath, [CLI, 'export', runId, '--data', server.dataDir, '--metric', 'cka', '--json']);
  const out = JSON.parse(json);
  assert.equal(out.run.status, 'finished');
  assert.equal(out.steps.length, 30, 'every checkpoint arrived');
  assert.equal(out.run.checkpoints, 30);
  assert.deepEqual(out.layers, ['h1', 'h2', 'h3', 'logits']);
  const [h1, , h3] = out.convergence.toFinal as Array<Array<number | null>>;
  assert.ok(h1.every((v) => typeof v === 'number'));
  assert.ok(area(h1) < area(h3), `area under 1 − CKA: h1 ${area(h1).toFixed(3)} < h3 ${area(h3).toFixed(3)}`);
});

test('an exported real run carries its analysis: replay, CLI import and HTTP import open complete and equal to the live analysis', {
  skip,
  timeout: 300_000,
}, async () => {
  assert.equal(live.snapshot.meta.status, 'finished');
  assert.equal(live.grids['svcca-k'].steps.length, CHECKPOINTS, 'the live analysis covers every checkpoint');
  assert.equal(live.concepts?.cells.flat().filter((c) => c !== null).length, 4 * CHECKPOINTS, 'and has concept statistics for every layer and checkpoint');
  const runDir = path.join(server.dataDir, 'runs', runId);
  const [file, log, analysis] = await Promise.all([
    readFile(exported),
    readFile(path.join(runDir, 'log.lwlog')),
    readFile(path.join(runDir, 'analysis.lwlog')),
  ]);
  assert.ok(file.subarray(0, log.length).equals(log), 'the export starts with the run log, byte for byte');
  assert.ok(file.subarray(log.length).equals(analysis.subarray(16)), 'and goes on with the records of its analysis log');

  // The browser's "Download log" is the same file.
  const download = Buffer.from(await (await fetch(`${server.url}/api/runs/${runId}/log`)).arrayBuffer());
  assert.ok(download.equals(file), 'GET /api/runs/:id/log = layerwatch export --log');

  const r = await replay(exported);
  try {
    const { runs } = (await (await fetch(`${r.url}/api/runs`)).json()) as { runs: Array<{ id: string; bytes: number }> };
    assert.equal(runs[0].bytes, log.length, 'the replayed run is the log; its analysis went to analysis.lwlog');
    const liveUrl = `${r.url.replace(/^http/, 'ws')}/live`;
    const view = await viewRun(liveUrl, runs[0].id);
    view.close();
    assert.deepEqual(view.progress, [], 'nothing is left to analyse');
    assertSameAnalysis(view, 'replay');
    // Scrubbing shows what the live viewers saw at that step.
    const middle = live.snapshot.checkpoints.steps[15];
    const [a, b] = await Promise.all([runAt(server.liveUrl, runId, middle), runAt(liveUrl, runs[0].id, middle)]);
    assert.deepEqual(b.analysis?.convergence, a.analysis?.convergence, `run-at step ${middle}`);
  } finally {
    r.stop();
  }

  const data = await tempDir();
  const { stdout } = await exec(process.execPath, [CLI, 'import', exported, '--data', data, '--json']);
  const imported = JSON.parse(stdout).run.id as string;
  assert.ok((await readFile(path.join(data, 'runs', imported, 'log.lwlog'))).equals(log), 'import: the log, without the analysis records');
  assert.ok((await readFile(path.join(data, 'runs', imported, 'analysis.lwlog'))).equals(analysis), 'import: the analysis log, as stored live');

  const other = await startTestServer({ workers: 1 });
  try {
    const id = await postImport(other.url, exported, 'run.lwlog');
    const view = await viewRun(other.liveUrl, id);
    view.close();
    assert.deepEqual(view.progress, []);
    assertSameAnalysis(view, 'HTTP import');
  } finally {
    await other.close();
  }
});

test('a log without stored analysis (an older export) is analysed on open, with progress, and ends complete and equal to the live analysis', {
  skip,
  timeout: 300_000,
}, async () => {
  // What `export --log` wrote before: the run log alone.
  const bare = path.join(await tempDir(), 'old-export.lwlog');
  await copyFile(path.join(server.dataDir, 'runs', runId, 'log.lwlog'), bare);
  for await (const rec of readRunLog(bare)) assert.notEqual(rec.kind, 4);

  let other = await startTestServer({ workers: 2 });
  try {
    const id = await postImport(other.url, bare, 'old-export.lwlog');
    const view = await viewRun(other.liveUrl, id);
    await until(() => view.progress.at(-1)?.status === 'done', 240_000, 'the analysis on open to finish');
    view.close();
    const progress = view.progress;
    assert.equal(progress[0].status, 'running', 'the snapshot says the analysis is running');
    const totals = progress.filter((p) => p.total > 0);
    assert.ok(totals.length >= 2, `progress reported along the way (${progress.length} reports)`);
    assert.deepEqual(totals.at(-1)!.parts, ['svcca-k', 'cka', 'concepts'], 'the server default live metrics, and the concepts');
    assert.ok(
      totals.every((p, i) => i === 0 || p.done >= totals[i - 1].done),
      'done only grows',
    );
    assert.equal(progress.at(-1)!.done, progress.at(-1)!.total);
    for (const metric of METRICS) {
      const g = view.grids[metric];
      assert.equal(g.pending, 0, `${metric}: nothing pending`);
      assert.ok(
        g.toNewest.every((row) => row.every((v) => typeof v === 'number')),
        `${metric}: every cell to the final state`,
      );
    }
    assertSameAnalysis(view, 'analysed on open');

    // Scrubbing a run no live viewer saw: the final grid's columns up to the step (its reference says so).
    const middle = live.snapshot.checkpoints.steps[15];
    const at = (await runAt(other.liveUrl, id, middle)).analysis!.convergence!.grids['svcca-k'];
    assert.deepEqual(at.steps, live.snapshot.checkpoints.steps.slice(0, 16));
    assert.equal(at.reference, live.grids['svcca-k'].reference);
    assert.deepEqual(
      at.toNewest,
      live.grids['svcca-k'].toNewest.map((row) => row.slice(0, 16)),
    );

    // Stored: the next open is complete at once.
    const dataDir = other.dataDir;
    await other.close();
    other = await startTestServer({ dataDir, workers: 1 });
    const again = await viewRun(other.liveUrl, id);
    again.close();
    assert.deepEqual(again.progress, [], 'the next open has nothing to analyse');
    assertSameAnalysis(again, 'reopened');
  } finally {
    await other.close();
  }
});
