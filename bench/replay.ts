/**
 * bench/replay: a big stored run (default 8 layers × 256 units × 1,000 examples × 128 checkpoints ≈ 1 GB of log)
 * opened by a freshly started server: time to the run's /live snapshot and, when the pages are built, to the
 * first paint of its heatmap in Chromium (target < 1 s); scrubbing a 5,000-checkpoint run: `run-at` latency; and its
 * exported log imported elsewhere: opened complete at once, and, without its stored analysis, analysed on open (against
 * the time the live run took to be recorded and analysed).
 */
import { createWriteStream, existsSync, statSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { applyConvergencePatch, emptyGrid, encodeFrame, type AnalysisProgress, type ConvergenceGrid, type ConvergencePatch } from '../lib/protocol';
import { importRun } from '../server/runs/import-run';
import { activationsAt, finalState, planRun } from '../lib/sim/synthetic-run';
import { launchChromium, ms, numArg, percentile, ROOT, SMOKE, startBenchServer, type BenchServer } from './helpers';

const big = {
  layers: numArg('layers', SMOKE ? 2 : 8),
  units: numArg('units', SMOKE ? 8 : 256),
  examples: numArg('examples', SMOKE ? 50 : 1000),
  checkpoints: numArg('checkpoints', SMOKE ? 8 : 128),
};
const longRun = { layers: 4, units: 8, examples: 32, checkpoints: numArg('long', SMOKE ? 300 : 5000) };

/** Streams a synthetic run as fast as the server takes it and waits until its live analysis is complete. */
async function record(server: BenchServer, o: typeof big, name: string): Promise<string> {
  const plan = planRun({ layers: o.layers - 1, units: o.units, examples: o.examples, checkpoints: o.checkpoints, seed: 7 });
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name } });
  await trainer.declare(
    plan.layers.map((l) => ({ name: l.name, units: l.units, kind: l.kind })),
    { examples: o.examples, labels: plan.labels },
  );
  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  let pending = Infinity;
  let reference: number | null = null;
  live.ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type !== 'delta' || m.run?.kind !== 'convergence') return;
    const p = m.run.patch as ConvergencePatch;
    if (p.metric !== 'svcca-k' || p.key) return;
    if (p.pending !== undefined) pending = p.pending;
    if (p.reference !== undefined) reference = p.reference;
  });
  live.subscribe(`run:${trainer.runId}`);
  const inflight: Array<Promise<unknown>> = [];
  for (let i = 0; i < plan.steps.length; i++) {
    const frames = plan.layers.map((l, li) =>
      encodeFrame({ run: trainer.runId, step: plan.steps[i], layer: l.name, shape: [l.units, o.examples] }, activationsAt(plan, li, i, finals[li])),
    );
    inflight.push(
      trainer.sendCheckpointFrames(
        plan.steps[i],
        plan.layers.map((l) => l.name),
        frames,
      ),
    );
    if (inflight.length >= 8) await inflight.shift();
  }
  await Promise.all(inflight);
  await trainer.end();
  await trainer.close();
  const last = plan.steps.at(-1)!;
  while (!(pending === 0 && reference === last)) await new Promise((r) => setTimeout(r, 100));
  live.close();
  return trainer.runId;
}

async function timeSnapshot(server: BenchServer, id: string): Promise<number> {
  const t0 = performance.now();
  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  live.subscribe(`run:${id}`);
  await live.waitFor((m) => m.type === 'snapshot', 60_000);
  const t = performance.now() - t0;
  live.close();
  return t;
}

/** Opens a run on a fresh server and waits until its analysis on open (if any) is done: [ms to the snapshot, ms to done, grid complete]. */
async function timeOpen(server: BenchServer, id: string): Promise<{ snapshot: number; done: number | null; complete: boolean }> {
  const t0 = performance.now();
  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  let progress: AnalysisProgress | undefined;
  let grid: ConvergenceGrid | undefined;
  let doneAt: number | null = null;
  let layers: string[] = [];
  live.ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'snapshot') {
      layers = (m.run?.layers ?? []).map((l: { name: string }) => l.name);
      grid = m.run?.analysis?.convergence?.grids?.['svcca-k'];
      progress = m.run?.analysis?.progress;
    }
    if (m.type === 'delta' && m.run?.kind === 'analysis-progress') progress = m.run.progress;
    if (m.type === 'delta' && m.run?.kind === 'convergence' && m.run.patch.metric === 'svcca-k' && !m.run.patch.key)
      applyConvergencePatch((grid ??= emptyGrid('svcca-k', layers)), m.run.patch);
    if (progress?.status === 'done' && doneAt === null) doneAt = performance.now() - t0;
  });
  live.subscribe(`run:${id}`);
  await live.waitFor((m) => m.type === 'snapshot', 60_000);
  const snapshot = performance.now() - t0;
  while (progress && progress.status === 'running') await new Promise((r) => setTimeout(r, 50));
  live.close();
  const complete = !!grid && grid.pending === 0 && grid.toNewest.every((row) => row.every((v) => v !== null));
  return { snapshot, done: doneAt, complete };
}

async function firstPaint(url: string, id: string, columns: number): Promise<number | null> {
  if (!existsSync(path.join(ROOT, '.next/BUILD_ID'))) return null;
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${url}/`); // warm the page bundle, as a user's tab would be
    const t0 = performance.now();
    await page.goto(`${url}/runs/${id}`);
    await page.waitForSelector(`[data-testid="convergence-heatmap"][data-columns="${columns}"]`, { timeout: 30_000 });
    return performance.now() - t0;
  } finally {
    await browser.close();
  }
}

let server = await startBenchServer(['--metrics', 'svcca-k']);
const dataDir = server.dataDir;
let bigId: string;
let longId: string;
try {
  const t0 = performance.now();
  bigId = await record(server, big, 'big-replay');
  const recordSeconds = (performance.now() - t0) / 1000;
  await server.stop(true);
  server = await startBenchServer(['--metrics', 'svcca-k'], {}, { dataDir });
  longId = await record(server, longRun, 'long-replay');
  await server.stop(true);
  const logBytes = statSync(path.join(dataDir, 'runs', bigId, 'log.lwlog')).size;
  console.log(
    `bench/replay: run of ${big.layers} layers × ${big.units} units × ${big.examples} examples × ${big.checkpoints} checkpoints: log ${(logBytes / 1e9).toFixed(2)} GB (recorded and analysed in ${recordSeconds.toFixed(0)} s)`,
  );

  // A fresh server process: nothing of the run is in memory.
  const pages = existsSync(path.join(ROOT, '.next/BUILD_ID'));
  server = await startBenchServer(['--metrics', 'svcca-k'], {}, { dataDir, pages });
  const cold = await timeSnapshot(server, bigId);
  const warm = await timeSnapshot(server, bigId);
  console.log(
    `  open the big run on a fresh server: /live snapshot in ${ms(cold)} (again: ${ms(warm)}); target < 1000 ms → ${cold < 1000 ? 'met' : 'NOT met'}`,
  );
  const paint = SMOKE ? null : await firstPaint(server.url, bigId, big.checkpoints);
  console.log(
    paint === null
      ? '  first paint in Chromium: skipped (pages not built, or --smoke)'
      : `  first paint of its heatmap in Chromium (navigation → ${big.checkpoints} columns drawn): ${ms(paint)}; target < 1000 ms → ${paint < 1000 ? 'met' : 'NOT met'}`,
  );

  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  const times: number[] = [];
  let seed = 12345;
  for (let i = 0; i < (SMOKE ? 20 : 200); i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const step = 100 * (1 + (seed % longRun.checkpoints));
    const t = performance.now();
    const res = await live.request('run-at', longId, { step });
    if (!res.ok) throw new Error(`run-at failed: ${res.message}`);
    times.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 20)); // a person scrubbing: ≤ 50 positions a second (the server allows 100 messages/s)
  }
  live.close();
  console.log(
    `  scrubbing a ${longRun.checkpoints}-checkpoint run (run-at, random steps): p50 ${ms(percentile(times, 50))}, p95 ${ms(percentile(times, 95))}, max ${ms(Math.max(...times))} (first one includes reading the stored analysis)`,
  );

  // The big run's log downloaded as a user would, and the bare log (what exports were before), imported elsewhere.
  const elsewhere = await mkdtemp(path.join(os.tmpdir(), 'lw-bench-import-'));
  try {
    const exported = path.join(elsewhere, 'export.lwlog');
    const bare = path.join(elsewhere, 'bare.lwlog');
    const t1 = performance.now();
    const res = await fetch(`${server.url}/api/runs/${bigId}/log`);
    await pipeline(Readable.fromWeb(res.body! as import('node:stream/web').ReadableStream), createWriteStream(exported));
    const download = (performance.now() - t1) / 1000;
    await copyFile(path.join(dataDir, 'runs', bigId, 'log.lwlog'), bare);
    await server.stop(true);
    const data2 = path.join(elsewhere, 'data');
    await importRun(data2, exported, { id: 'exported' });
    await importRun(data2, bare, { id: 'bare' });
    server = await startBenchServer(['--metrics', 'svcca-k'], {}, { dataDir: data2 });
    const a = await timeOpen(server, 'exported');
    const b = await timeOpen(server, 'bare');
    const exportMb = statSync(exported).size / 1e6;
    console.log(
      `  its export (log + stored analysis, ${exportMb.toFixed(0)} MB, downloaded in ${download.toFixed(1)} s) imported elsewhere: /live snapshot in ${ms(a.snapshot)}, complete: ${a.complete ? 'yes' : 'NO'}`,
    );
    console.log(
      `  the same log without its analysis: snapshot in ${ms(b.snapshot)}, analysed on open in ${((b.done ?? NaN) / 1000).toFixed(1)} s (svcca-k + concepts; the live run took ${recordSeconds.toFixed(0)} s to record and analyse: ${((b.done ?? NaN) / 1000 / recordSeconds).toFixed(2)}×), complete: ${b.complete ? 'yes' : 'NO'}`,
    );
  } finally {
    // The server is stopped before its data directory goes (a run it is still writing to must not vanish under it).
    await server.stop(true);
    await rm(elsewhere, { recursive: true, force: true });
  }
} catch (err) {
  await server.stop().catch(() => undefined);
  throw err;
}
