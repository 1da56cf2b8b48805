/**
 * bench/live: with checkpoints already stored, the time from a new checkpoint's arrival to its stability row and its
 * complete "to newest" column reaching a subscribed /live client, per live metric.
 *
 *   node --import tsx bench/live.ts                  # 8 layers × 256 units × 2,000 examples, 200 stored, svcca-k
 *   node --import tsx bench/live.ts --preset bert    # 12 × 768 × 2,000, 50 stored, svcca-k and cka (the defaults)
 *   node --import tsx bench/live.ts --preset resnet  # 16 layers (3 × 256, 4 × 512, 6 × 1,024, 3 × 2,048) × 5,000, svcca-k
 *   node --import tsx bench/live.ts --preset llm-sketch  # 32 × 4,096 × 2,000 as sketches of 64 directions, svcca-k and cka
 *   node --import tsx bench/live.ts --preset llm-raw     # the same as raw frames (1 GB a checkpoint): correct, and how far behind
 *   [--layers L --units U | --widths 256x3,512x4] [--examples M] [--stored S] [--measure N] [--metrics svcca-k,cka]
 *   [--sketch K] [--target-svcca MS] [--target-cka MS] [--check N] [--profile DIR] [--smoke]
 *
 * --check N (default 2) recomputes in this process, from the same activations, the newest column's stability cells of
 * N raw layers (the first and the widest) and prints the largest difference from what the viewer was sent.
 *
 * --sketch K sends every layer wider than K as a sketch frame (docs/protocol.md). The server's work on a sketch depends
 * only on K × examples, so the sketches are taken of activations 2K units wide (declared at the full width): the
 * trainer-side cost of sketching real wide layers is bench/python_sketch.py's figure.
 */
import os from 'node:os';
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { activationsAt, finalState, planRun } from '../lib/sim/synthetic-run';
import { encodeFrame, type AnalysisBacklog, type ConvergencePatch } from '../lib/protocol';
import { compare, prepareFor } from '../lib/analysis';
import { sketchActivations } from '../lib/analysis/sketch';
import type { Metric } from '../lib/analysis/types';
import { ms, numArg, percentile, serverStats, SMOKE, startBenchServer, strArg } from './helpers';

const PRESETS: Record<
  string,
  { widths: string; examples: number; stored: number; measure?: number; metrics: string; sketch?: number; targets: Record<string, number> }
> = {
  bert: { widths: '768x12', examples: 2000, stored: 50, metrics: 'svcca-k,cka', targets: { 'svcca-k': 1000, cka: 10_000 } },
  resnet: { widths: '256x3,512x4,1024x6,2048x3', examples: 5000, stored: 10, metrics: 'svcca-k', targets: { 'svcca-k': 3000 } },
  'llm-sketch': { widths: '4096x32', examples: 2000, stored: 20, metrics: 'svcca-k,cka', sketch: 64, targets: { 'svcca-k': 1000, cka: 10_000 } },
  'llm-raw': { widths: '4096x32', examples: 2000, stored: 2, measure: 2, metrics: 'svcca-k', targets: {} },
};
const preset = PRESETS[strArg('preset') ?? ''];
const widthSpec = strArg('widths') ?? (SMOKE ? '6x1,16x2,24x1' : (preset?.widths ?? `${numArg('units', 256)}x${numArg('layers', 8)}`));
const widths = widthSpec.split(',').flatMap((w) => {
  const [u, n] = w.split('x').map(Number);
  return Array.from({ length: n || 1 }, () => u);
});
const examples = numArg('examples', SMOKE ? 60 : (preset?.examples ?? 2000));
const stored = numArg('stored', SMOKE ? 6 : (preset?.stored ?? 200));
const measured = numArg('measure', SMOKE ? 2 : (preset?.measure ?? 5));
const sketchK = numArg('sketch', SMOKE ? 8 : (preset?.sketch ?? 0)) || undefined;
const metrics = (strArg('metrics') ?? (SMOKE ? 'svcca-k,cka' : (preset?.metrics ?? 'svcca-k'))).split(',');
const targets: Record<string, number> = preset && !SMOKE ? { ...preset.targets } : { 'svcca-k': 1000, cka: 10_000 };
if (strArg('target-svcca')) targets['svcca-k'] = numArg('target-svcca', 1000);
if (strArg('target-cka')) targets.cka = numArg('target-cka', 10_000);
const load = () => os.loadavg()[0].toFixed(1);

const loadStart = load();
const server = await startBenchServer(['--metrics', metrics.join(',')]);
try {
  const layers = widths.length;
  const plan = planRun({ layers: layers - 1, units: widths[0], examples, checkpoints: stored + measured, seed: 1 });
  // Sketched layers' data is made 2K units wide (see the header); each is declared at its full width.
  const sketchedAt = (u: number) => sketchK !== undefined && u > sketchK;
  plan.layers.forEach((l, i) => (l.units = sketchedAt(widths[i]) ? Math.min(widths[i], 2 * sketchK!) : widths[i]));
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'bench-live' }, zeroMask: true });
  await trainer.declare(
    plan.layers.map((l, i) => ({ name: l.name, units: widths[i], kind: 'dense' as const, ...(sketchedAt(widths[i]) ? { sketch: sketchK } : {}) })),
    { examples, labels: plan.labels },
  );
  const names = plan.layers.map((l) => l.name);
  const frameOf = (i: number, l: (typeof plan.layers)[number], li: number) => {
    const data = activationsAt(plan, li, i, finals[li]);
    const step = plan.steps[i];
    if (!sketchedAt(widths[li])) return encodeFrame({ run: trainer.runId, step, layer: l.name, shape: [l.units, examples] }, data);
    const s = sketchActivations({ data, units: l.units, examples }, sketchK!);
    return encodeFrame(
      {
        run: trainer.runId,
        step,
        layer: l.name,
        shape: [s.singular.length, examples],
        kind: 'sketch',
        sketch: { singular: Array.from(s.singular), total: s.total },
      },
      Float32Array.from(s.basis),
    );
  };
  // Made a layer at a time with a turn of the event loop between, so the client answers the server's heartbeat pings
  // while wide checkpoints are being generated (a blocked client is terminated as dead).
  const frames = async (i: number) => {
    const out: Uint8Array[] = [];
    for (const [li, l] of plan.layers.entries()) {
      out.push(frameOf(i, l, li));
      await new Promise((r) => setImmediate(r));
    }
    return out;
  };
  let wireBytes = 0;

  // Per metric, the viewer tracks the newest column's stability cells and the grid's pending count.
  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  const state = new Map(metrics.map((m) => [m, { columns: 0, stabilityCells: 0, pending: Infinity }]));
  /** Stability values the viewer was sent, by "metric layer column". */
  const received = new Map<string, number>();
  let watch: { column: number; head: Map<string, () => void>; all: Map<string, () => void> } | null = null;
  live.subscribe(`run:${trainer.runId}`);
  const onPatch = (patch: ConvergencePatch) => {
    const s = state.get(patch.metric);
    if (!s || patch.key) return;
    if (patch.addSteps) {
      s.columns += patch.addSteps.length;
      s.stabilityCells = 0;
    }
    if (patch.pending !== undefined) s.pending = patch.pending;
    for (const c of patch.cells) {
      if (c.stability === undefined) continue;
      if (c.c === s.columns - 1) s.stabilityCells++;
      if (typeof c.stability === 'number') received.set(`${patch.metric} ${c.l} ${c.c}`, c.stability);
    }
    if (watch && s.columns - 1 === watch.column) {
      if (s.stabilityCells >= layers || watch.column === 0) watch.head.get(patch.metric)?.();
      if (s.pending === 0) watch.all.get(patch.metric)?.();
    }
  };
  // How far behind the viewer was told the analysis is (the status strip's "analysis behind").
  let mostBehind: AnalysisBacklog | null = null;
  live.ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'delta' && m.run?.kind === 'convergence') onPatch(m.run.patch);
    if (m.type === 'delta' && m.run?.kind === 'analysis-backlog' && m.run.backlog.behind > (mostBehind?.behind ?? 0)) mostBehind = m.run.backlog;
  });
  const send = (i: number, f: Uint8Array[]) => {
    wireBytes = f.reduce((sum, x) => sum + x.length, 0);
    return trainer.sendCheckpointFrames(plan.steps[i], names, f);
  };

  const t0 = performance.now();
  for (let i = 0; i < stored; i++) await send(i, await frames(i));
  const fillSeconds = (performance.now() - t0) / 1000;
  // Let the analysis of the stored run settle before measuring.
  while ([...state.values()].some((s) => s.pending !== 0)) await new Promise((r) => setTimeout(r, 100));
  const settleSeconds = (performance.now() - t0) / 1000 - fillSeconds;

  const head = new Map(metrics.map((m) => [m, [] as number[]]));
  const all = new Map(metrics.map((m) => [m, [] as number[]]));
  /** Per measured checkpoint: sending it until the server's ack (it is stored), the part of each figure that is the wire. */
  const acked: number[] = [];
  for (let i = stored; i < stored + measured; i++) {
    const f = await frames(i);
    const w = { column: i, head: new Map<string, () => void>(), all: new Map<string, () => void>() };
    const done = metrics.flatMap((m) => {
      const h = new Promise<void>((r) => w.head.set(m, r));
      const a = new Promise<void>((r) => w.all.set(m, r));
      return [h.then(() => head.get(m)!.push(performance.now() - start)), a.then(() => all.get(m)!.push(performance.now() - start))];
    });
    for (const s of state.values()) s.pending = Infinity;
    watch = w;
    const start = performance.now();
    await send(i, f);
    acked.push(performance.now() - start);
    await Promise.all(done);
  }
  const { prefetch } = await serverStats(server);
  live.close();
  await trainer.end();
  await trainer.close();

  // Correctness: the newest column's stability cells of a few raw layers, recomputed here from the same activations.
  const last = stored + measured - 1;
  const rawLayers = widths.map((u, li) => (sketchedAt(u) ? -1 : li)).filter((li) => li >= 0);
  const widest = rawLayers.reduce((w, li) => (widths[li] > widths[w] ? li : w), rawLayers[0] ?? 0);
  const checked = [...new Set([rawLayers[0], widest])].filter((li) => li !== undefined).slice(0, numArg('check', 2));
  const checks = metrics.map((m) => {
    let worst = 0;
    for (const li of checked) {
      const acts = (i: number) => ({ data: activationsAt(plan, li, i, finals[li]), units: plan.layers[li].units, examples });
      const expected = compare(prepareFor(acts(last - 1), m as Metric), prepareFor(acts(last), m as Metric), m as Metric).value;
      const got = received.get(`${m} ${li} ${last}`);
      worst = Math.max(worst, got === undefined ? Infinity : Math.abs(got - expected));
    }
    return { m, worst };
  });

  const shape = widthSpec.includes(',') ? `${layers} layers (${widthSpec})` : `${layers} layers × ${widths[0]} units`;
  const sent = sketchK ? `, layers wider than ${sketchK} as sketches of ${sketchK} directions` : ', raw frames';
  console.log(
    `bench/live: ${shape} × ${examples} examples${sent}, ${stored} checkpoints stored (streamed in ${fillSeconds.toFixed(1)} s, analysis settled ${settleSeconds.toFixed(1)} s later), metrics ${metrics.join(', ')}; load average ${loadStart} at the start, ${load()} at the end`,
  );
  const raw = widths.reduce((sum, u) => sum + 4 * u * examples, 0);
  const mb = (n: number) => (n < 1e6 ? `${(n / 1e3).toFixed(1)} KB` : `${(n / 1e6).toFixed(1)} MB`);
  console.log(`  wire per checkpoint: ${mb(wireBytes)} (raw frames would be ${mb(raw)})`);
  console.log(
    `  layers prepared while their checkpoint was still arriving (server/analysis/prefetch.ts): ${prefetch.claimed} used of ${prefetch.started} started (${prefetch.queued} queued), of ${(stored + measured - 1) * layers} layer frames after the first checkpoint`,
  );
  const b = mostBehind as AnalysisBacklog | null;
  console.log(
    `  analysis behind, the most the viewer was told: ${b ? `${b.behind} checkpoints (${b.secondsPerCheckpoint === null ? 'time per checkpoint not measured yet' : `${b.secondsPerCheckpoint.toFixed(1)} s per checkpoint`}, catch-up ${b.catchUpSeconds === null ? 'not promised' : `~${b.catchUpSeconds.toFixed(0)} s`})` : 'never behind'}`,
  );
  for (const m of metrics) {
    const h = head.get(m)!,
      a = all.get(m)!;
    console.log(`  ${m}: new checkpoint → its stability row at the viewer: p50 ${ms(percentile(h, 50))}, max ${ms(Math.max(...h))}`);
    console.log(`  ${m}: new checkpoint → complete "to newest" column: p50 ${ms(percentile(a, 50))}, max ${ms(Math.max(...a))}`);
    console.log(
      `    of which sending and storing it (until the server's ack): p50 ${ms(percentile(acked, 50))}; stored → complete column: p50 ${ms(
        percentile(
          a.map((x, j) => x - acked[j]),
          50,
        ),
      )}`,
    );
    const check = checks.find((x) => x.m === m)!;
    console.log(
      checked.length === 0
        ? `  ${m}: correctness not checked here (every layer sent as a sketch; bench/python_sketch.py compares sketches with raw)`
        : `  ${m}: newest stability cells of ${checked.map((li) => `${plan.layers[li].name} (${widths[li]} units)`).join(', ')} recomputed here: largest difference ${check.worst.toExponential(1)} → ${check.worst <= 1e-6 ? 'correct' : 'WRONG'}`,
    );
    if (targets[m] !== undefined) console.log(`  target (${m} column p50): ≤ ${targets[m]} ms → ${percentile(a, 50) <= targets[m] ? 'met' : 'NOT met'}`);
  }
} finally {
  await server.stop();
}
