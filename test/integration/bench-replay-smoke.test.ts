/** bench/replay.ts, bench/live.ts and bench/python_overhead.py run at a tiny size so they cannot rot. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

for (const [bench, expect] of [
  [
    'replay',
    [
      /open the big run on a fresh server: \/live snapshot in [\d.]+ ms/,
      /scrubbing a 300-checkpoint run \(run-at, random steps\): p50 [\d.]+ ms/,
      /imported elsewhere: \/live snapshot in [\d.]+ ms, complete: yes/,
      /without its analysis: snapshot in [\d.]+ ms, analysed on open in [\d.]+ s .* complete: yes/,
    ],
  ],
  [
    'live',
    [
      /new checkpoint → its stability row/,
      /wire per checkpoint: [\d.]+ KB \(raw frames would be [\d.]+ KB\)/,
      /analysis behind, the most the viewer was told: /,
      /complete "to newest" column/,
      /svcca-k: newest stability cells of .* recomputed here: largest difference \S+ → correct/,
      /target \(svcca-k column p50\): ≤ 1000 ms → (met|NOT met)/,
      /load average [\d.]+ at the start/,
    ],
  ],
  [
    'float16',
    [
      /reference cases \(\d+ pairs\): svcca-k [\d.e+-]+, svcca [\d.e+-]+, cka [\d.e+-]+, pwcca [\d.e+-]+/,
      /real run, digits_mlp\.py .*: svcca-k [\d.e+-]+/,
      /bytes: [\d.]+ MB of frames as float32, [\d.]+ MB as float16/,
    ],
  ],
] as const) {
  test(`bench/${bench}.ts --smoke prints its figures`, { timeout: 180_000 }, async () => {
    const { stdout } = await exec(process.execPath, ['--import', 'tsx', path.join(ROOT, `bench/${bench}.ts`), '--smoke'], { cwd: ROOT, timeout: 180_000 });
    for (const re of expect) assert.match(stdout, re);
  });
}

test('bench/python_overhead.py --smoke prints its figures', { timeout: 180_000 }, async () => {
  const { stdout } = await exec('/usr/bin/python3', [path.join(ROOT, 'bench/python_overhead.py'), '--smoke'], { cwd: ROOT, timeout: 180_000 });
  assert.match(stdout, /without client: [\d.]+ s wall/);
  assert.match(stdout, /ratio: +[\d.]+ wall/);
});
