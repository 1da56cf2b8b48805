import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { encodeFrame } from '../../../lib/protocol';
import { trimIncompleteCheckpoint } from '../../../server/runs/checkpoint-repair';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { readRunLog } from '../../../server/storage/run-log-reader';

async function logWith(checkpoints: Array<{ step: number; frames: number; layers: number }>): Promise<string> {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'lw-trim-')), 'log.lwlog');
  const w = await RunLogWriter.open(file);
  w.append(1, JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'x' } }));
  for (const cp of checkpoints) {
    const names = Array.from({ length: cp.layers }, (_, i) => `l${i}`);
    w.append(1, JSON.stringify({ type: 'checkpoint', step: cp.step, layers: names }));
    for (let i = 0; i < cp.frames; i++) w.append(2, encodeFrame({ step: cp.step, layer: names[i], shape: [2, 3] }, new Float32Array(6)));
  }
  await w.close();
  return file;
}

async function steps(file: string): Promise<number[]> {
  const out: number[] = [];
  for await (const r of readRunLog(file, { strict: true }))
    if (r.kind === 1) {
      const m = JSON.parse(r.payload.toString());
      if (m.type === 'checkpoint') out.push(m.step);
    }
  return out;
}

test('a last checkpoint missing frames is cut; complete ones are kept', async () => {
  const torn = await logWith([
    { step: 1, frames: 3, layers: 3 },
    { step: 2, frames: 1, layers: 3 },
  ]);
  const before = (await stat(torn)).size;
  const cut = await trimIncompleteCheckpoint(torn);
  assert.ok(cut > 0);
  assert.equal((await stat(torn)).size, before - cut);
  assert.deepEqual(await steps(torn), [1]);

  const whole = await logWith([
    { step: 1, frames: 2, layers: 2 },
    { step: 2, frames: 2, layers: 2 },
  ]);
  assert.equal(await trimIncompleteCheckpoint(whole), 0);
  assert.deepEqual(await steps(whole), [1, 2]);
  const none = await logWith([]);
  assert.equal(await trimIncompleteCheckpoint(none), 0);
});

test('a complete last checkpoint with a NON_FINITE warning between its frames is kept', async () => {
  const file = path.join(await mkdtemp(path.join(os.tmpdir(), 'lw-trim-')), 'log.lwlog');
  const w = await RunLogWriter.open(file);
  w.append(1, JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'x' } }));
  w.append(1, JSON.stringify({ type: 'checkpoint', step: 1, layers: ['l0', 'l1'] }));
  w.append(2, encodeFrame({ step: 1, layer: 'l0', shape: [2, 3] }, new Float32Array(6).fill(Number.NaN)));
  w.append(3, JSON.stringify({ type: 'warning', warning: { code: 'NON_FINITE', message: '6 of 6 values are NaN or Inf', step: 1, layer: 'l0' } }));
  w.append(2, encodeFrame({ step: 1, layer: 'l1', shape: [2, 3] }, new Float32Array(6)));
  await w.close();
  assert.equal(await trimIncompleteCheckpoint(file), 0);
  assert.deepEqual(await steps(file), [1]);
});
