/**
 * bench/replay: a big stored run (default 8 layers × 256 units × 1,000 examples × 128 checkpoints ≈ 1 GB of log)
 * opened by a freshly started server: time to the run's /live snapshot and, when the pages are built, to the
 * first paint of its heatmap in Chromium (target < 1 s); and scrubbing a 5,000-checkpoint run: `run-at` latency.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { encodeFrame, type ConvergencePatch } from '../lib/protocol';
import { activationsAt, finalState, planRun } from '../lib/sim/synthetic-run';
import { ms, numArg, percentile, ROOT, SMOKE, startBenchServer, type BenchServer } from './helpers';

const big = { layers: numArg('layers', SMOKE ? 2 : 8), units: numArg('units', SMOKE ? 8 : 256), examples: numArg('examples', SMOKE ? 50 : 1000), checkpoints: numArg('checkpoints', SMOKE ? 8 : 128) };
const longRun = { layers: 4, units: 8, examples: 32, checkpoints: numArg('long', SMOKE ? 300 : 5000) };

/** Streams a synthetic run as fast as the server takes it and waits until its live analysis is complete. */
async function record(server: BenchServer, o: typeof big, name: string): Promise<string> {
  const plan = planRun({ layers: o.layers - 1, units: o.units, examples: o.examples, checkpoints: o.checkpoints, seed: 7 });
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name } });
  await trainer.declare(plan.layers.map((l) => ({ name: l.name, units: l.units, kind: l.kind })), { examples: o.examples, labels: plan.labels });
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
    const frames = plan.layers.map((l, li) => encodeFrame({ run: trainer.runId, step: plan.steps[i], layer: l.name, shape: [l.units, o.examples] }, activationsAt(plan, li, i, finals[li])));
    inflight.push(trainer.sendCheckpointFrames(plan.steps[i], plan.layers.map((l) => l.name), frames));
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

async function firstPaint(url: string, id: string, columns: number): Promise<number | null> {
  if (!existsSync(path.join(ROOT, '.next/BUILD_ID'))) return null;
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
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
  console.log(`bench/replay: run of ${big.layers} layers × ${big.units} units × ${big.examples} examples × ${big.checkpoints} checkpoints: log ${(logBytes / 1e9).toFixed(2)} GB (recorded and analysed in ${recordSeconds.toFixed(0)} s)`);

  // A fresh server process: nothing of the run is in memory.
  const pages = existsSync(path.join(ROOT, '.next/BUILD_ID'));
  server = await startBenchServer(['--metrics', 'svcca-k'], {}, { dataDir, pages });
  const cold = await timeSnapshot(server, bigId);
  const warm = await timeSnapshot(server, bigId);
  console.log(`  open the big run on a fresh server: /live snapshot in ${ms(cold)} (again: ${ms(warm)}); target < 1000 ms → ${cold < 1000 ? 'met' : 'NOT met'}`);
  const paint = SMOKE ? null : await firstPaint(server.url, bigId, big.checkpoints);
  console.log(paint === null ? '  first paint in Chromium: skipped (pages not built, or --smoke)' : `  first paint of its heatmap in Chromium (navigation → ${big.checkpoints} columns drawn): ${ms(paint)}; target < 1000 ms → ${paint < 1000 ? 'met' : 'NOT met'}`);

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
  console.log(`  scrubbing a ${longRun.checkpoints}-checkpoint run (run-at, random steps): p50 ${ms(percentile(times, 50))}, p95 ${ms(percentile(times, 95))}, max ${ms(Math.max(...times))} (first one includes reading the stored analysis)`);
} finally {
  await server.stop();
}
