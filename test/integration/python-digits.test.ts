/** End to end with a real PyTorch run: the digits MLP streams through the Python client, and the stored CKA shows the first hidden layer settling before the last. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CLI, ROOT, startTestServer, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

/** Mean of 1 − similarity over the checkpoints (area under the curve, per checkpoint). */
const area = (row: Array<number | null>) => row.reduce((s: number, v) => s + (1 - (v ?? 0)), 0) / row.length;

test('digits MLP: every checkpoint arrives and h1 settles before h3 (CKA to final)', { skip: !existsSync(PYTHON) && 'no /usr/bin/python3' }, async () => {
  const { stdout } = await exec(PYTHON, [path.join(ROOT, 'examples/digits_mlp.py'), '--url', server.ingestUrl, '--epochs', '8', '--seed', '1', '--checkpoints', '30', '--json'], {
    timeout: 240_000,
    env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') },
  });
  const last = JSON.parse(stdout.trim().split('\n').at(-1)!);
  assert.ok(last.test_accuracy > 0.85, `test accuracy ${last.test_accuracy}`);
  const runId = last.run_id as string;
  await server.analysis.idle();

  const { stdout: exported } = await exec(process.execPath, [CLI, 'export', runId, '--data', server.dataDir, '--metric', 'cka', '--json']);
  const out = JSON.parse(exported);
  assert.equal(out.run.status, 'finished');
  assert.equal(out.steps.length, 30, 'every checkpoint arrived');
  assert.equal(out.run.checkpoints, 30);
  assert.deepEqual(out.layers, ['h1', 'h2', 'h3', 'logits']);
  const [h1, , h3] = out.convergence.toFinal as Array<Array<number | null>>;
  assert.ok(h1.every((v) => typeof v === 'number'));
  assert.ok(area(h1) < area(h3), `area under 1 − CKA: h1 ${area(h1).toFixed(3)} < h3 ${area(h3).toFixed(3)}`);
});
