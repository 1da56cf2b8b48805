import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { LogContentCheck } from '../../../server/runs/log-content-check';
import { importLog, importStream, validateLogFile } from '../../../server/storage/import';
import { LogStreamReader } from '../../../server/storage/log-stream-reader';
import { RunIndex } from '../../../server/storage/run-index';
import { readRunLog } from '../../../server/storage/run-log-reader';
import { craftLog, validRunRecords } from '../../fixtures/craft-log';
import { tempDir } from './helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

/** A valid crafted run (hello, layers, probe, one checkpoint of 2 frames, scalars, optionally end): 7 or 8 records. */
async function buildLog(file: string, end = true): Promise<number> {
  const bytes = craftLog(validRunRecords({ id: 'seed-1', checkpoints: 1, end }).records);
  await fs.writeFile(file, bytes);
  return bytes.length;
}

const check = () => new LogContentCheck();
const leftovers = async (data: string) => (await fs.readdir(data)).filter((n) => n.startsWith('.import-'));

test('validateLogFile checks everything and returns the first JSON record', async () => {
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src);
  const v = await validateLogFile(src, check());
  assert.equal(v.records, 8);
  assert.equal(v.bytes, size);
  assert.deepEqual((v.firstJson as { run: { id: string } }).run.id, 'seed-1');
});

test('importLog stores a valid log as a run, indexed, with counters and status', async () => {
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src);
  const data = path.join(dir, 'data');
  const meta = await importLog(data, src, { check: check() });
  assert.equal(meta.id, 'seed-1');
  assert.equal(meta.name, 'Crafted seed-1');
  assert.equal(meta.status, 'finished');
  assert.equal(meta.checkpoints, 1);
  assert.equal(meta.bytes, size);
  const index = await RunIndex.open(data);
  assert.deepEqual(index.get('seed-1'), meta);
  let n = 0;
  for await (const _ of readRunLog(index.logPath('seed-1'), { strict: true })) n++;
  assert.equal(n, 8);
  await assert.rejects(importLog(data, src, { index, check: check() }), { code: 'RUN_EXISTS' });
  const other = await importLog(data, src, { id: 'copy-2', index, check: check() });
  assert.equal(other.id, 'copy-2');
  await assert.rejects(importLog(data, src, { id: '../evil', check: check() }), { code: 'BAD_RUN_ID' });
  assert.deepEqual(await leftovers(data), []);
});

test('bad files are refused with their code and leave no partial run behind', async () => {
  const data = path.join(dir, 'data');
  const src = path.join(dir, 'src.lwlog');
  const size = await buildLog(src, false);
  const cases: Array<[string, (b: Buffer) => Buffer, string]> = [
    ['json.lwlog', () => Buffer.from('{"type":"hello"}'), 'NOT_A_LOG'],
    ['short.lwlog', (b) => b.subarray(0, 10), 'NOT_A_LOG'],
    ['truncated.lwlog', (b) => b.subarray(0, size - 5), 'LOG_TRUNCATED'],
    ['torn-header.lwlog', (b) => b.subarray(0, size - (size - 16) + 20), 'LOG_TRUNCATED'],
    [
      'corrupt.lwlog',
      (b) => {
        const c = Buffer.from(b);
        c[16 + 24 + 3] ^= 0xff;
        return c;
      },
      'LOG_CORRUPT',
    ],
    [
      'corrupt-last.lwlog',
      (b) => {
        const c = Buffer.from(b);
        c[size - 9] ^= 0xff;
        return c;
      },
      'LOG_TRUNCATED',
    ],
    [
      'future.lwlog',
      (b) => {
        const c = Buffer.from(b);
        c[6] = 9;
        return c;
      },
      'LOG_VERSION',
    ],
  ];
  const original = await fs.readFile(src);
  for (const [name, mutate, code] of cases) {
    const file = path.join(dir, name);
    await fs.writeFile(file, mutate(original));
    await assert.rejects(importLog(data, file, { id: 'x', check: check() }), { code }, name);
    await assert.rejects(validateLogFile(file, check()), { code }, `validate ${name}`);
  }
  assert.deepEqual(await fs.readdir(path.join(data, 'runs')), []);
  assert.deepEqual(await leftovers(data), []);
  assert.equal((await RunIndex.open(data)).list().length, 0);
});

test('a gigabyte of zeros after a valid start stops at the first impossible record: bounded reads, nothing stored', async () => {
  const data = path.join(dir, 'data');
  const start = craftLog(validRunRecords({ id: 'zeros', checkpoints: 1, end: false }).records);
  const chunk = 1 << 20;
  let pulled = 0;
  async function* upload(): AsyncGenerator<Uint8Array> {
    yield start;
    for (let i = 0; i < 1024; i++) {
      pulled += chunk;
      yield new Uint8Array(chunk);
    }
  }
  await assert.rejects(importStream(data, upload(), 'zeros.lwlog', { check: check() }), { code: 'LOG_CORRUPT' });
  assert.ok(pulled <= 2 * chunk, `read ${pulled} bytes of zeros; the import should stop at the first one`);
  assert.deepEqual(await leftovers(data), []);

  // The same as a (sparse) file on disk, for `layerwatch import` and replay.
  const file = path.join(dir, 'zeros.lwlog');
  await fs.writeFile(file, start);
  await fs.truncate(file, start.length + 1024 ** 3);
  await assert.rejects(importLog(data, file, { check: check() }), { code: 'LOG_CORRUPT' });
  assert.deepEqual(await leftovers(data), []);
  assert.deepEqual(await fs.readdir(path.join(data, 'runs')), []);
});

test('a record claiming more bytes than the limit is refused from its header, before its payload is buffered', () => {
  const start = craftLog(validRunRecords({ id: 'claim', checkpoints: 0, end: false }).records);
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0x3152574c, 0);
  header.writeUInt32LE(0x7fffffff, 4);
  header[12] = 2;
  const reader = new LogStreamReader(check());
  reader.push(start);
  assert.throws(
    () => reader.push(header),
    (err: { code?: string; details?: { reason?: string } }) => err.code === 'LOG_INVALID' && err.details?.reason === 'FRAME_TOO_LARGE',
  );
});

test('the reader takes a log in chunks of any size and checks each record once', () => {
  const bytes = craftLog(validRunRecords({ id: 'chunks', checkpoints: 3 }).records);
  for (const size of [1, 7, 24, 100, 4096]) {
    const seen: number[] = [];
    const reader = new LogStreamReader({ record: (r) => seen.push(r.offset) });
    for (let at = 0; at < bytes.length; at += size) reader.push(bytes.subarray(at, at + size));
    const { records, bytes: n } = reader.end();
    assert.equal(records, seen.length, `chunks of ${size}`);
    assert.equal(n, bytes.length);
    assert.equal(seen[0], 16);
  }
});
