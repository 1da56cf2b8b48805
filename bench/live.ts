/**
 * bench/live: with 200 checkpoints of 8 layers × 256 units × 2,000 examples already stored, the time from a new
 * checkpoint's arrival to its stability row and "to newest" column reaching a subscribed /live client. Target ≤ 1 s.
 */
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { activationsAt, finalState, planRun } from '../lib/sim/synthetic-run';
import { encodeFrame, type ConvergencePatch } from '../lib/protocol';
import { ms, numArg, percentile, SMOKE, startBenchServer } from './helpers';

const layers = numArg('layers', SMOKE ? 3 : 8);
const units = numArg('units', SMOKE ? 16 : 256);
const examples = numArg('examples', SMOKE ? 60 : 2000);
const stored = numArg('stored', SMOKE ? 8 : 200);
const measured = numArg('measure', SMOKE ? 2 : 5);
const METRIC = 'svcca-k';

const server = await startBenchServer(['--metrics', METRIC]);
try {
  const plan = planRun({ layers: layers - 1, units, examples, checkpoints: stored + measured, seed: 1 });
  plan.layers[plan.layers.length - 1].units = units; // every layer the same width for the bench
  const finals = plan.layers.map((_, l) => finalState(plan, l));
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'bench-live' } });
  await trainer.declare(plan.layers.map((l) => ({ name: l.name, units: l.units, kind: 'dense' as const })), { examples, labels: plan.labels });
  const names = plan.layers.map((l) => l.name);
  const frames = (i: number) => plan.layers.map((l, li) => encodeFrame({ run: trainer.runId, step: plan.steps[i], layer: l.name, shape: [l.units, examples] }, activationsAt(plan, li, i, finals[li])));

  // The viewer tracks, per column, when its stability row and its complete "to newest" column arrived.
  const live = await LiveClient.connect({ url: server.liveUrl, validate: false });
  let columns = 0;
  let stabilityCells = 0;
  let pending = Infinity;
  let watch: { column: number; resolveHead: () => void; resolveAll: () => void } | null = null;
  live.subscribe(`run:${trainer.runId}`);
  const onPatch = (patch: ConvergencePatch) => {
    if (patch.metric !== METRIC) return;
    if (patch.addSteps) (columns += patch.addSteps.length), (stabilityCells = 0);
    if (patch.pending !== undefined) pending = patch.pending;
    for (const c of patch.cells) if (c.c === columns - 1 && c.stability !== undefined) stabilityCells++;
    if (watch && columns - 1 === watch.column) {
      if (stabilityCells >= layers || (watch.column === 0 && columns)) watch.resolveHead();
      if (pending === 0) watch.resolveAll();
    }
  };
  live.ws.on('message', (d) => {
    const m = JSON.parse(String(d));
    if (m.type === 'delta' && m.run?.kind === 'convergence') onPatch(m.run.patch);
  });

  const t0 = performance.now();
  for (let i = 0; i < stored; i++) await trainer.sendCheckpointFrames(plan.steps[i], names, frames(i));
  const fillSeconds = (performance.now() - t0) / 1000;
  // Let the backfill of the stored run settle before measuring.
  while (pending !== 0) await new Promise((r) => setTimeout(r, 50));

  const head: number[] = [];
  const all: number[] = [];
  for (let i = stored; i < stored + measured; i++) {
    const f = frames(i);
    let resolveHead!: () => void;
    let resolveAll!: () => void;
    const headDone = new Promise<void>((r) => (resolveHead = r));
    const allDone = new Promise<void>((r) => (resolveAll = r));
    watch = { column: i, resolveHead, resolveAll };
    pending = Infinity;
    const start = performance.now();
    await trainer.sendCheckpointFrames(plan.steps[i], names, f);
    await headDone;
    head.push(performance.now() - start);
    await allDone;
    all.push(performance.now() - start);
  }
  live.close();
  await trainer.end();
  await trainer.close();

  console.log(`bench/live: ${layers} layers × ${units} units × ${examples} examples, ${stored} checkpoints stored (streamed in ${fillSeconds.toFixed(1)} s), metric ${METRIC}`);
  console.log(`  new checkpoint → its stability row + newest cells at the viewer: p50 ${ms(percentile(head, 50))}, max ${ms(Math.max(...head))}`);
  console.log(`  new checkpoint → complete "to newest" column (all ${stored} earlier checkpoints): p50 ${ms(percentile(all, 50))}, max ${ms(Math.max(...all))}`);
  console.log(`  target: ≤ 1000 ms → ${Math.max(...all) <= 1000 ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
}
