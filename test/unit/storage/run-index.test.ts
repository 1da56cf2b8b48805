import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { RunIndex, type RunMeta } from '../../../server/storage/run-index';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { tempDir } from './helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const meta = (id: string, extra: Partial<RunMeta> = {}): RunMeta => ({
  id,
  name: id,
  status: 'live',
  createdAt: 1000,
  checkpoints: 0,
  lastStep: null,
  layers: 0,
  bytes: 0,
  ...extra,
});

test('create, get, list, update (coalesced) and flush persist meta.json and index.json', async () => {
  const index = await RunIndex.open(path.join(dir, 'data'));
  await index.create(meta('a', { createdAt: 2 }));
  await index.create(meta('b', { createdAt: 1 }));
  await assert.rejects(index.create(meta('a')), { code: 'RUN_EXISTS' });
  assert.deepEqual(
    index.list().map((m) => m.id),
    ['b', 'a'],
  );
  const updated = index.update('a', { checkpoints: 3, lastStep: 30 });
  assert.equal(updated.checkpoints, 3);
  assert.equal(index.get('a')?.lastStep, 30);
  assert.throws(() => index.update('zz', {}), { code: 'RUN_NOT_FOUND' });
  assert.throws(() => index.get('../a'), { code: 'BAD_RUN_ID' });
  const onDisk = () => fs.readFile(path.join(dir, 'data/runs/a/meta.json'), 'utf8').then(JSON.parse);
  assert.equal((await onDisk()).checkpoints, 0, 'not written before the coalescing delay');
  await index.flush();
  assert.equal((await onDisk()).checkpoints, 3);
  const again = await RunIndex.open(path.join(dir, 'data'));
  assert.deepEqual(again.list(), index.list());
});

test('listing 1,000 runs reads only index.json', async () => {
  const index = await RunIndex.open(dir, { coalesceMs: 5 });
  for (let i = 0; i < 1000; i++) await index.create(meta(`run-${i}`, { createdAt: i }));
  // Poison every meta.json: a listing that read them would notice.
  for (let i = 0; i < 1000; i += 97) await fs.writeFile(index.metaPath(`run-${i}`), 'garbage');
  const t = performance.now();
  const reopened = await RunIndex.open(dir);
  const list = reopened.list();
  assert.equal(list.length, 1000);
  assert.equal(list[0].name, 'run-0');
  assert.ok(performance.now() - t < 1000);
});

test('a corrupt or missing index.json is rebuilt from every meta.json', async () => {
  const index = await RunIndex.open(dir);
  await index.create(meta('x', { status: 'finished', checkpoints: 5 }));
  await index.create(meta('y'));
  await fs.writeFile(path.join(dir, 'index.json'), '{"version":1,"runs":[{"id":"x"');
  const rebuilt = await RunIndex.open(dir);
  assert.deepEqual(
    rebuilt.list().map((m) => [m.id, m.checkpoints]),
    [
      ['x', 5],
      ['y', 0],
    ],
  );
  await fs.rm(path.join(dir, 'index.json'));
  assert.equal((await RunIndex.open(dir)).list().length, 2);
});

test('remove deletes the run directory and its entry', async () => {
  const index = await RunIndex.open(dir);
  await index.create(meta('gone'));
  await index.remove('gone');
  assert.equal(index.get('gone'), undefined);
  await assert.rejects(fs.stat(path.join(dir, 'runs/gone')));
  await assert.rejects(index.remove('gone'), { code: 'RUN_NOT_FOUND' });
  assert.equal((await RunIndex.open(dir)).list().length, 0);
});

test('recover turns live runs interrupted, cuts torn tails and recounts from the log', async () => {
  const index = await RunIndex.open(dir);
  await index.create(meta('crashed'));
  await index.create(meta('done', { status: 'finished', checkpoints: 9 }));
  const w = await RunLogWriter.open(index.logPath('crashed'));
  w.append(1, JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'c' } }), 100);
  w.append(1, JSON.stringify({ type: 'layers', layers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] }), 101);
  for (let step = 10; step <= 30; step += 10) {
    w.append(1, JSON.stringify({ type: 'checkpoint', step, layers: ['a'] }), 100 + step);
    w.append(2, new Uint8Array(64), 100 + step);
    w.append(1, JSON.stringify({ type: 'scalars', step, values: { acc: 0.5, loss: 1 / step } }), 101 + step);
  }
  await w.close();
  const good = (await fs.stat(index.logPath('crashed'))).size;
  await fs.appendFile(index.logPath('crashed'), Buffer.from('4c575231ff000000aaaa', 'hex'));
  // A run directory whose meta.json never got written (crash inside create) is found too.
  await fs.mkdir(path.join(dir, 'runs', 'orphan'));
  const reopened = await RunIndex.open(dir);
  const report = await reopened.recover();
  assert.deepEqual(report.map((r) => r.id).sort(), ['crashed', 'orphan']);
  assert.equal(report.find((r) => r.id === 'crashed')?.droppedBytes, 10);
  const m = reopened.get('crashed')!;
  assert.equal(m.status, 'interrupted');
  assert.equal(m.checkpoints, 3);
  assert.equal(m.lastStep, 30);
  assert.equal(m.layers, 3);
  assert.equal(m.bytes, good);
  assert.deepEqual(m.lastScalar, { name: 'loss', step: 30, value: 1 / 30 });
  assert.equal(m.endedAt, 131);
  assert.equal((await fs.stat(reopened.logPath('crashed'))).size, good);
  assert.equal(reopened.get('done')?.checkpoints, 9, 'finished runs are left alone');
  assert.equal(reopened.get('orphan')?.status, 'interrupted');
  const persisted = JSON.parse(await fs.readFile(reopened.metaPath('crashed'), 'utf8'));
  assert.equal(persisted.status, 'interrupted');
});

test('recover uses a pluggable classify callback', async () => {
  const index = await RunIndex.open(dir);
  await index.create(meta('custom'));
  const w = await RunLogWriter.open(index.logPath('custom'));
  w.append(1, 'CKPT 5', 1);
  w.append(1, 'CKPT 7', 2);
  await w.close();
  const custom = await RunIndex.open(dir, {
    classify: (r) => (r.payload.toString().startsWith('CKPT') ? { type: 'checkpoint', step: Number(r.payload.toString().slice(5)) } : null),
  });
  await custom.recover();
  assert.equal(custom.get('custom')?.checkpoints, 2);
  assert.equal(custom.get('custom')?.lastStep, 7);
});
