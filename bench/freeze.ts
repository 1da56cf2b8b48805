/**
 * bench/freeze: the digits MLP trained twice per seed, plainly and with freeze advice acted on; prints final test
 * accuracies, layers frozen and the fraction of parameter updates skipped. `--json` prints one object (the test reads it).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { numArg, ROOT, SMOKE, startBenchServer } from './helpers';

const exec = promisify(execFile);
const seeds = numArg('seeds', SMOKE ? 1 : 3);
const epochs = numArg('epochs', SMOKE ? 2 : 60);
const json = process.argv.includes('--json');

interface Result {
  run_id: string;
  test_accuracy: number;
  frozen?: string[];
  updates_skipped?: number;
}

async function train(url: string, seed: number, freeze: boolean): Promise<Result> {
  const args = [path.join(ROOT, 'examples/digits_mlp.py'), '--url', url, '--epochs', String(epochs), '--seed', String(seed), '--json', ...(freeze ? ['--freeze-advice'] : [])];
  const { stdout } = await exec('/usr/bin/python3', args, { timeout: 600_000, env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') } });
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Result;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

const server = await startBenchServer();
try {
  const rows: Array<{ seed: number; baseline: Result; frozen: Result }> = [];
  for (let seed = 0; seed < seeds; seed++) {
    const baseline = await train(server.ingestUrl, seed, false);
    const frozen = await train(server.ingestUrl, seed, true);
    rows.push({ seed, baseline, frozen });
  }
  const summary = {
    epochs,
    seeds: rows.map((r) => ({ seed: r.seed, baseline: r.baseline.test_accuracy, frozen: r.frozen.test_accuracy, layers: r.frozen.frozen ?? [], updatesSkipped: r.frozen.updates_skipped ?? 0 })),
    medianBaseline: median(rows.map((r) => r.baseline.test_accuracy)),
    medianFrozen: median(rows.map((r) => r.frozen.test_accuracy)),
    medianSkipped: median(rows.map((r) => r.frozen.updates_skipped ?? 0)),
  };
  if (json) console.log(JSON.stringify(summary));
  else {
    console.log(`bench/freeze: digits MLP, ${epochs} epochs, ${seeds} seed(s), server defaults for advice`);
    console.log('| seed | baseline accuracy | with freeze advice | layers frozen (in order) | updates skipped |');
    console.log('|---|---|---|---|---|');
    for (const s of summary.seeds) console.log(`| ${s.seed} | ${(100 * s.baseline).toFixed(2)}% | ${(100 * s.frozen).toFixed(2)}% | ${s.layers.join(', ') || '—'} | ${(100 * s.updatesSkipped).toFixed(1)}% |`);
    console.log(`median: baseline ${(100 * summary.medianBaseline).toFixed(2)}%, frozen ${(100 * summary.medianFrozen).toFixed(2)}%, updates skipped ${(100 * summary.medianSkipped).toFixed(1)}%`);
    console.log('target: frozen median within 2 points of the baseline median, at least one layer frozen in every frozen run');
  }
} finally {
  await server.stop();
}
