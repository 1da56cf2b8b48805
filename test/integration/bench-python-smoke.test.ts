/** bench/python_throughput.py runs at a tiny size so it cannot rot: send-path ratios, the end-to-end figure, the target. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

const exec = promisify(execFile);

test('bench/python_throughput.py --smoke prints its figures', { timeout: 180_000 }, async () => {
  const { stdout } = await exec('/usr/bin/python3', [path.join(ROOT, 'bench/python_throughput.py'), '--smoke'], { cwd: ROOT, timeout: 180_000 });
  for (const variant of ['websocket-client send_binary', "before: numpy XOR in websocket-client's ABNF", 'now: layerwatch.ws_writer', 'anchor: raw socket, unmasked']) {
    assert.match(stdout, new RegExp(`${variant.replace(/[.:]/g, '\\$&')} +[\\d.]+ MB/s +\\([\\d.]+× the raw socket\\)`));
  }
  assert.match(stdout, /ratio now \/ before: [\d.]+×/);
  // The smoke run checks delivery too: every checkpoint read back from the run log, none dropped.
  assert.match(stdout, /end to end \(real server, durable\): [\d.]+ MB\/s .*stored 3 of 3, dropped 0/);
  assert.match(stdout, /target: ≥ 150 MB\/s end to end, every checkpoint stored → (met|NOT met)/);
});
