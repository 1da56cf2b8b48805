/** Freeze training on real data: three seeds of the digits MLP, plain and with advice acted on (bench/freeze.ts does the runs). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

test('frozen runs keep the baseline accuracy (±2 points, median of 3 seeds) and every one freezes a layer', { skip: !existsSync('/usr/bin/python3') && 'no /usr/bin/python3', timeout: 900_000 }, async (t) => {
  const { stdout } = await exec(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/freeze.ts'), '--seeds', '3', '--json'], { cwd: ROOT, timeout: 900_000 });
  const summary = JSON.parse(stdout.trim().split('\n').at(-1)!);
  t.diagnostic(JSON.stringify(summary));
  assert.equal(summary.seeds.length, 3);
  for (const s of summary.seeds) assert.ok(s.layers.length >= 1, `seed ${s.seed}: at least one layer frozen (got ${JSON.stringify(s.layers)})`);
  for (const s of summary.seeds) assert.deepEqual(s.layers, ['h1', 'h2', 'h3'].slice(0, s.layers.length), `seed ${s.seed}: frozen bottom-up`);
  assert.ok(Math.abs(summary.medianFrozen - summary.medianBaseline) <= 0.02, `median accuracy ${summary.medianFrozen} vs baseline ${summary.medianBaseline}`);
  assert.ok(summary.medianSkipped > 0, 'some parameter updates were skipped');
});
