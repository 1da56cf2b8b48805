/** The Python benches run at a tiny size so they cannot rot: send-path ratios, the end-to-end figure, sketches, the targets. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

test('bench/python_throughput.py --smoke prints its figures', { timeout: 180_000 }, async () => {
  const { stdout } = await exec('/usr/bin/python3', [path.join(ROOT, 'bench/python_throughput.py'), '--smoke'], { cwd: ROOT, timeout: 180_000 });
  for (const variant of [
    'websocket-client send_binary',
    "before: numpy XOR in websocket-client's ABNF",
    'now: layerwatch.ws_writer',
    'anchor: raw socket, unmasked',
  ]) {
    assert.match(stdout, new RegExp(`${variant.replace(/[.:]/g, '\\$&')} +[\\d.]+ MB/s +\\([\\d.]+× the raw socket\\)`));
  }
  assert.match(stdout, /ratio now \/ before: [\d.]+×/);
  // The smoke run checks delivery too: every checkpoint read back from the run log, none dropped.
  assert.match(stdout, /end to end \(real server, durable\): [\d.]+ MB\/s .*server main thread [\d.]+ s CPU\/GB .*stored 3 of 3, dropped 0/);
  assert.match(stdout, /target: ≥ 150 MB\/s end to end, every checkpoint stored → (met|NOT met)/);
});

test('bench/python_sketch.py --smoke prints its figures, sketches equal to raw', { timeout: 300_000 }, async () => {
  const { stdout } = await exec('/usr/bin/python3', [path.join(ROOT, 'bench/python_sketch.py'), '--smoke'], { cwd: ROOT, timeout: 300_000 });
  assert.match(stdout, /trainer side \(torch CPU, sketches of every layer\) [\d.]+ s \([\d.]+ s CPU/);
  assert.match(stdout, /wire per checkpoint: [\d.]+ MB as sketches, [\d.]+ MB raw/);
  assert.match(stdout, /svcca-k: max \|sketch − raw\| [\d.e+-]+; CKA from sketches: max error [\d.]+, mean [\d.]+/);
  assert.match(stdout, /numpy from the raw matrices \(full SVD per layer\) +[\d.]+ s/);
  assert.match(stdout, /target: ≤ 24 MB on the wire per checkpoint → met/);
  // Not a speed target: the equality must hold at any size.
  assert.match(stdout, /target: svcca-k from sketches = raw within 1e-06 \(synthetic and real run\) → met/);
});
