/**
 * Bench: concept emergence and Grad-CAM on real Fashion-MNIST CNN runs, checked in hindsight (bench/concept-hindsight.ts).
 * Trains examples/fashion_cnn.py for each seed against an in-process server, then prints
 * - per layer and concept: the detectors' share of the concept among their 12 top-activating examples (pixels inside
 *   the mask, for parts) against its base rate — "met" when every detector reaches min(2 × base, (1 + base) / 2);
 * - per layer: unique detectors at the end against the chance baseline, and what emerged when;
 * - Grad-CAM: the maps' mass inside the item's silhouette at the first and last checkpoint;
 * - the client's Grad-CAM cost per checkpoint (bench/gradcam_cost.py).
 *
 *   node --import tsx bench/concepts-real.ts [--smoke] [--seeds 3] [--epochs 2] [--train-size 6000] [--checkpoints 20] [--json]
 *
 * --json adds a last line with every figure (the integration test reads it).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startServer } from '../server/app';
import { hindsight, type Hindsight, type PrecisionRow } from './concept-hindsight';
import { numArg, ROOT, SMOKE } from './helpers';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const ENV = { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') };

/** The share a detector must reach: double the base rate, or half-way to 1 for concepts too common to double. */
export const wellAbove = (base: number) => Math.min(2 * base, (1 + base) / 2);

/** Trains one seed against `ingestUrl`; returns the run id. */
export async function trainFashion(ingestUrl: string, seed: number, o: { epochs: number; trainSize: number; checkpoints: number }): Promise<string> {
  const args = [
    path.join(ROOT, 'examples/fashion_cnn.py'),
    '--url',
    ingestUrl,
    '--seed',
    String(seed),
    '--epochs',
    String(o.epochs),
    '--train-size',
    String(o.trainSize),
    '--checkpoints',
    String(o.checkpoints),
    '--json',
  ];
  const { stdout } = await exec(PYTHON, args, { env: ENV, timeout: 900_000, maxBuffer: 1 << 24 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!).run_id as string;
}

const pct = (v: number) => `${(100 * v).toFixed(0)}%`;

function precisionTable(runs: Hindsight[]): boolean {
  const rows = new Map<string, PrecisionRow & { seeds: number }>();
  for (const h of runs) {
    for (const r of h.precision) {
      const key = `${r.layer}\u0000${r.concept}`;
      const a = rows.get(key);
      if (!a) rows.set(key, { ...r, seeds: 1 });
      else {
        const n = a.n + r.n;
        const peaks =
          a.peaks && r.peaks
            ? {
                mean: (a.peaks.mean * a.n + r.peaks.mean * r.n) / n,
                coverage: (a.peaks.coverage * a.n + r.peaks.coverage * r.n) / n,
                below: a.peaks.below + r.peaks.below,
              }
            : (a.peaks ?? r.peaks);
        rows.set(key, { ...a, mean: (a.mean * a.n + r.mean * r.n) / n, n, min: Math.min(a.min, r.min), seeds: a.seeds + 1, ...(peaks ? { peaks } : {}) });
      }
    }
  }
  console.log('\n| layer | concept | category | measured on | detector × step | seeds | mean share | lowest share | base rate | lowest / base | well above |');
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  let ok = true;
  for (const r of [...rows.values()].sort((a, b) => a.layer.localeCompare(b.layer) || b.n - a.n)) {
    const pass = r.min >= wellAbove(r.base) - 1e-9;
    ok &&= pass;
    console.log(
      `| ${r.layer} | ${r.concept} | ${r.category} | ${r.measure === 'pixels' ? 'on-pixels' : 'top 12 examples'} | ${r.n} | ${r.seeds} | ${pct(r.mean)} | ${pct(r.min)} | ${pct(r.base)} | ${(r.min / r.base).toFixed(1)}× | ${pass ? 'yes' : 'NO'} |`,
    );
  }
  const parts = [...rows.values()].filter((r) => r.peaks);
  if (parts.length) {
    console.log("\nParts, a stricter reading: where the unit fires hardest (its upsampled map's peak) in its 12 strongest examples");
    console.log(
      "\n| layer | part | detector × step | peaks on the part (mean) | the part's share of those images | observations below min(2 × share, (1 + share) / 2) |",
    );
    console.log('|---|---|---|---|---|---|');
    for (const r of parts)
      console.log(
        `| ${r.layer} | ${r.concept} | ${r.n} | ${pct(r.peaks!.mean)} | ${pct(r.peaks!.coverage)} | ${r.peaks!.below} (${pct(r.peaks!.below / r.n)}) |`,
      );
  }
  return ok;
}

function emergenceTable(runs: Hindsight[]): boolean {
  console.log(
    '\n| seed run | layer | mode | unique at first → last step | chance | detectors first → last | concepts (first step seen, detectors at the end) |',
  );
  console.log('|---|---|---|---|---|---|---|');
  let ok = true;
  for (const h of runs) {
    for (const e of h.emergence) {
      if (!e.unique.length) continue;
      const last = e.unique.at(-1)!;
      if (e.layer !== 'conv1' && e.layer !== 'logits' && !(last > (e.chanceUnique ?? Infinity))) ok = false;
      const concepts = e.concepts.map((c) => `${c.concept} (${c.first}, ${c.last})`).join(', ');
      console.log(
        `| ${h.runId} | ${e.layer} | ${[...new Set(e.modes)].join(', ')} | ${e.unique[0]} → ${last} | ${e.chanceUnique ?? '–'} | ${e.detectors[0]} → ${e.detectors.at(-1)} | ${concepts} |`,
      );
    }
  }
  return ok;
}

function gradcamTable(runs: Hindsight[]): boolean {
  console.log('\n| seed run | steps | true class: inside at first → last | predicted class: first → last | silhouette share of the image |');
  console.log('|---|---|---|---|---|');
  const early: number[] = [],
    late: number[] = [];
  for (const h of runs) {
    const g = h.gradcam;
    if (!g) continue;
    const [a, b] = [g.inside[0], g.inside.at(-1)!];
    early.push(a[0]);
    late.push(b[0]);
    console.log(`| ${h.runId} | ${g.steps[0]} → ${g.steps.at(-1)} | ${pct(a[0])} → ${pct(b[0])} | ${pct(a[1])} → ${pct(b[1])} | ${pct(g.uniform)} |`);
  }
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  console.log(
    `\nGrad-CAM (true class) mass inside the silhouette: ${pct(mean(early))} at the first checkpoint → ${pct(mean(late))} at the last (mean over ${early.length} seeds; a map spread evenly: ${pct(mean(runs.flatMap((h) => (h.gradcam ? [h.gradcam.uniform] : []))))})`,
  );
  return early.length > 0 && mean(late) > mean(early);
}

async function main(): Promise<void> {
  const seeds = numArg('seeds', SMOKE ? 1 : 3);
  const o = {
    epochs: numArg('epochs', SMOKE ? 1 : 2),
    trainSize: numArg('train-size', SMOKE ? 1500 : 6000),
    checkpoints: numArg('checkpoints', SMOKE ? 5 : 20),
  };
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lw-concepts-real-'));
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, pages: false, log: () => {} });
  const runs: Hindsight[] = [];
  try {
    console.log(`Fashion-MNIST CNN, ${seeds} seed(s), ${o.epochs} epoch(s) of ${o.trainSize} images, ${o.checkpoints} checkpoints, probe 500 examples`);
    for (let seed = 0; seed < seeds; seed++) {
      const id = await trainFashion(`${server.url.replace(/^http/, 'ws')}/ingest`, seed, o);
      await server.analysis.idle();
      runs.push(await hindsight(path.join(dataDir, 'runs', id)));
    }
  } finally {
    await server.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const precise = precisionTable(runs);
  const emerged = emergenceTable(runs);
  const attention = gradcamTable(runs);
  const { stdout } = await exec(PYTHON, [path.join(ROOT, 'bench/gradcam_cost.py'), ...(SMOKE ? ['--smoke'] : [])], { env: ENV, timeout: 300_000 });
  const cost = JSON.parse(stdout.trim().split('\n').at(-1)!);
  console.log(
    `\nClient cost per checkpoint: Grad-CAM of ${cost.examples} examples ${cost.gradcam_ms.toFixed(1)} ms; the probe pass (500 examples) ${cost.probe_pass_ms.toFixed(1)} ms (ratio ${cost.gradcam_over_probe_pass.toFixed(3)}); one training step ${cost.train_step_ms.toFixed(1)} ms; torch threads ${cost.threads}`,
  );
  console.log(`\nevery detector well above its concept's base rate: ${precise ? 'met' : 'NOT met'}`);
  console.log(`unique detectors at the end above chance in conv2 and fc: ${emerged ? 'met' : 'NOT met'}`);
  console.log(`Grad-CAM mass inside the silhouette grows from the first to the last checkpoint: ${attention ? 'met' : 'NOT met'}`);
  if (process.argv.includes('--json')) console.log(JSON.stringify({ runs, cost, met: { precise, emerged, attention } }));
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
