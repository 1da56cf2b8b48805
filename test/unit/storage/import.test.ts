import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { importLog, validateLogFile } from '../../../server/storage/import';
import { RunIndex } from '../../../server/storage/run-index';
import { readRunLog } from '../../../server/storage/run-log-reader';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { tempDir } from './helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

async function buildLog(file: string, end = true): Promise<number> {
  const w = await RunLogWriter.open(file);
  w.append(1, JSON.stringify({ type: 'hello', protocol: 1, run: { id: 'seed-1', name: 'Seed 1', project: 'mnist' } }), 10);
  w.append(1, JSON.stringify({ type: 'checkpoint', step: 5, layers: ['a'] }), 11);
  w.append(2, new Uint8Array(32).fill(1), 11);
  if (end) w.append(1, JSON.stringify({ type: 'end', status: 'finished' }), 12);
  await w.close();
  return (await fs.stat(file)).size;
}

const leftovers = async (data: string) => (await fs.readdir(data)).filter((n) => n.startsWith('.import-'));

test('validateLogFile checks everything and returns the first JSON record', async () => {
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src);
  const v = await validateLogFile(src);
  assert.equal(v.records, 4);
  assert.equal(v.bytes, size);
  assert.deepEqual((v.firstJson as { run: { id: string } }).run.id, 'seed-1');
});

test('importLog stores a valid log as a run, indexed, with counters and status', async () => {
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src);
  const data = path.join(dir, 'data');
  const meta = await importLog(data, src);
  assert.equal(meta.id, 'seed-1');
  assert.equal(meta.name, 'Seed 1');
  assert.equal(meta.project, 'mnist');
  assert.equal(meta.status, 'finished');
  assert.equal(meta.checkpoints, 1);
  assert.equal(meta.bytes, size);
  const index = await RunIndex.open(data);
  assert.deepEqual(index.get('seed-1'), meta);
  let n = 0;
  for await (const _ of readRunLog(index.logPath('seed-1'), { strict: true })) n++;
  assert.equal(n, 4);
  await assert.rejects(importLog(data, src, { index }), { code: 'RUN_EXISTS' });
  const other = await importLog(data, src, { id: 'copy-2', index });
  assert.equal(other.id, 'copy-2');
  await assert.rejects(importLog(data, src, { id: '../evil' }), { code: 'BAD_RUN_ID' });
  assert.deepEqual(await leftovers(data), []);
});

test('bad files are refused with their code and leave no partial run behind', async () => {
  const data = path.join(dir, 'data');
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src, false);
  const cases: Array<[string, (b: Buffer) => Buffer, string]> = [
    ['json.lwlog', () => Buffer.from('{"type":"hello"}'), 'NOT_A_LOG'],
    ['truncated.lwlog', (b) => b.subarray(0, size - 5), 'LOG_TRUNCATED'],
    ['corrupt.lwlog', (b) => { const c = Buffer.from(b); c[16 + 24 + 3] ^= 0xff; return c; }, 'LOG_CORRUPT'],
    ['future.lwlog', (b) => { const c = Buffer.from(b); c[6] = 9; return c; }, 'LOG_VERSION'],
  ];
  const original = await fs.readFile(src);
  for (const [name, mutate, code] of cases) {
    const file = path.join(dir, name);
    await fs.writeFile(file, mutate(original));
    await assert.rejects(importLog(data, file, { id: 'x' }), { code }, name);
  }
  assert.deepEqual(await fs.readdir(path.join(data, 'runs')), []);
  assert.deepEqual(await leftovers(data), []);
  assert.equal((await RunIndex.open(data)).list().length, 0);
});
