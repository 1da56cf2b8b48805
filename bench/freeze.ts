/**
 * bench/freeze: freeze advice on real runs, per example and seed. A plain run with default options, whose every advice is
 * checked in hindsight (svcca-k of the layer at the advised step to its own final state ≥ 0.95, bench/freeze-hindsight.ts),
 * and a run with --freeze-advice that acts on it (accuracy, layers frozen, parameter updates skipped; its advice is
 * checked too). Prints per example the median advised step as a share of training and the accuracy with and without.
 * `--json` prints one object (the test reads it); `--smoke`: the digits MLP only, 40 epochs, two seeds, one of them also
 * frozen. 40, not 20: with one BLAS thread (the server sets OPENBLAS_NUM_THREADS=1, which a trainer started from the
 * test suite inherits) 20 epochs train in under a second, all 40 checkpoints arrive in 0.7 s, and the live analysis of
 * that burst (1.4 s on this 2-core machine) ends after the run: no advice can reach a trainer that has stopped.
 * `--fashion-epochs N` (default 6): the Fashion CNN's example default of 2 epochs ends while every layer is still
 * learning, so no advice is true there (docs/analysis.md, "Freeze advice"); `--digits-seeds`, `--fashion-seeds`.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkRun, HINDSIGHT, type RunCheck } from './freeze-hindsight';
import { numArg, ROOT, SMOKE, startBenchServer } from './helpers';

const exec = promisify(execFile);
const json = process.argv.includes('--json');
const fashionEpochs = numArg('fashion-epochs', 6);

interface Example {
  name: string;
  script: string;
  args: string[];
  seeds: number;
  frozenSeeds: number;
}

const EXAMPLES: Example[] = SMOKE
  ? [{ name: 'digits MLP, 40 epochs', script: 'examples/digits_mlp.py', args: ['--epochs', '40'], seeds: numArg('digits-seeds', 2), frozenSeeds: 1 }]
  : [
      {
        name: 'digits MLP, 20 epochs',
        script: 'examples/digits_mlp.py',
        args: ['--epochs', '20'],
        seeds: numArg('digits-seeds', 5),
        frozenSeeds: numArg('digits-seeds', 5),
      },
      {
        name: `Fashion CNN, ${fashionEpochs} epochs`,
        script: 'examples/fashion_cnn.py',
        args: ['--epochs', String(fashionEpochs)],
        seeds: numArg('fashion-seeds', 3),
        frozenSeeds: numArg('fashion-seeds', 3),
      },
    ];

interface Trained {
  run_id: string;
  test_accuracy: number;
  frozen?: string[];
  updates_skipped?: number;
}

async function train(url: string, ex: Example, seed: number, freeze: boolean): Promise<Trained> {
  const args = [path.join(ROOT, ex.script), '--url', url, ...ex.args, '--seed', String(seed), '--json', ...(freeze ? ['--freeze-advice'] : [])];
  const { stdout } = await exec('/usr/bin/python3', args, { timeout: 900_000, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') } });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Trained;
}

function median(v: number[]): number | null {
  if (!v.length) return null;
  const s = [...v].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const pct = (v: number | null) => (v === null ? '—' : `${(100 * v).toFixed(1)}%`);
const adviceText = (c: RunCheck) =>
  c.advice.map((a) => `${a.layer}@${a.step} (${a.toFinal?.toFixed(3) ?? '?'}${a.frozenAt !== null ? `, frozen @${a.frozenAt}` : ''})`).join(', ') || '—';

interface SeedRow {
  seed: number;
  plain: { accuracy: number; check: RunCheck };
  frozen: { accuracy: number; layers: string[]; updatesSkipped: number; check: RunCheck } | null;
}

const server = await startBenchServer();
const results: Array<{ example: string; seeds: SeedRow[]; summary: Record<string, number | boolean | null> }> = [];
try {
  for (const ex of EXAMPLES) {
    const seeds: SeedRow[] = [];
    for (let seed = 0; seed < ex.seeds; seed++) {
      const plain = await train(server.ingestUrl, ex, seed, false);
      const row: SeedRow = { seed, plain: { accuracy: plain.test_accuracy, check: await checkRun(server.dataDir, plain.run_id) }, frozen: null };
      if (seed < ex.frozenSeeds) {
        const f = await train(server.ingestUrl, ex, seed, true);
        row.frozen = {
          accuracy: f.test_accuracy,
          layers: f.frozen ?? [],
          updatesSkipped: f.updates_skipped ?? 0,
          check: await checkRun(server.dataDir, f.run_id),
        };
      }
      seeds.push(row);
    }
    const plainShares = seeds.flatMap((s) => s.plain.check.advice.map((a) => a.share));
    const frozenRows = seeds.filter((s) => s.frozen).map((s) => s.frozen!);
    const checks = seeds.flatMap((s) => [s.plain.check, ...(s.frozen ? [s.frozen.check] : [])]);
    results.push({
      example: ex.name,
      seeds,
      summary: {
        advised: checks.reduce((n, c) => n + c.advice.length, 0),
        hindsightOk: checks.every((c) => c.ok),
        worstToFinal: Math.min(...checks.flatMap((c) => c.advice.map((a) => a.toFinal ?? 0)), 1),
        medianShare: median(plainShares),
        medianShareFrozenRuns: median(frozenRows.flatMap((f) => f.check.advice.map((a) => a.share))),
        medianAccuracy: median(seeds.map((s) => s.plain.accuracy)),
        medianAccuracyFrozen: median(frozenRows.map((f) => f.accuracy)),
        medianSkipped: median(frozenRows.map((f) => f.updatesSkipped)),
      },
    });
  }
} finally {
  await server.stop();
}

const hindsight = results.every((r) => r.summary.hindsightOk);
const digits = results.find((r) => r.example.startsWith('digits'))!;
const digitsFrozen = digits.seeds.filter((s) => s.frozen);
const given = digitsFrozen.length > 0 && digitsFrozen.every((s) => s.frozen!.layers.length > 0);
const accuracy = results.every(
  (r) => r.summary.medianAccuracyFrozen === null || Math.abs((r.summary.medianAccuracyFrozen as number) - (r.summary.medianAccuracy as number)) <= 0.02,
);
if (json) {
  console.log(JSON.stringify({ hindsight, given, accuracy, results }));
} else {
  console.log(`bench/freeze: server defaults for advice; hindsight = svcca-k to the layer's final state at the advised step ≥ ${HINDSIGHT}`);
  for (const r of results) {
    console.log(`\n${r.example}`);
    console.log(
      '| seed | advice, default options: layer@step (to final) | accuracy | with --freeze-advice: advice (to final, frozen at) | accuracy | updates skipped |',
    );
    console.log('|---|---|---|---|---|---|');
    for (const s of r.seeds) {
      const f = s.frozen;
      console.log(
        `| ${s.seed} | ${adviceText(s.plain.check)} | ${pct(s.plain.accuracy)} | ${f ? adviceText(f.check) : '—'} | ${f ? pct(f.accuracy) : '—'} | ${f ? pct(f.updatesSkipped) : '—'} |`,
      );
    }
    const m = r.summary;
    console.log(
      `median advised step: ${pct(m.medianShare as number | null)} of training (default options), ${pct(m.medianShareFrozenRuns as number | null)} (--freeze-advice); median accuracy ${pct(m.medianAccuracy as number)} without, ${pct(m.medianAccuracyFrozen as number | null)} with --freeze-advice; ${pct(m.medianSkipped as number | null)} of updates skipped; ${m.advised} advice, worst to-final ${(m.worstToFinal as number).toFixed(3)}`,
    );
  }
  console.log(`\nhindsight: every advice ≥ ${HINDSIGHT} to the layer's final state: ${hindsight ? 'met' : 'NOT met'}`);
  console.log(`advice given: every digits run with --freeze-advice freezes at least one layer: ${given ? 'met' : 'NOT met'}`);
  console.log(`accuracy: median with --freeze-advice within 2 points of without, per example: ${accuracy ? 'met' : 'NOT met'}`);
}
