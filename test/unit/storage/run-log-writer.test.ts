import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { FILE_HEADER_SIZE, recordSize } from '../../../server/storage/run-log-format';
import { readRunLog, scanRunLog, type LogRecord } from '../../../server/storage/run-log-reader';
import { RunLogWriter, type WriterFs } from '../../../server/storage/run-log-writer';
import type { StorageError } from '../../../server/storage/storage-error';
import { buildRecords, bytesOf, tempDir } from './helpers';

let dir = '';
let cleanup = async () => {};
before(async () => ({ dir, cleanup } = await tempDir()));
after(() => cleanup());

let n = 0;
const fresh = () => path.join(dir, `w${++n}.lwlog`);

async function readAll(file: string): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readRunLog(file, { strict: true })) out.push(r);
  return out;
}

test('append returns contiguous offsets; flush writes them; records read back identical', async () => {
  const file = fresh();
  const w = await RunLogWriter.open(file);
  assert.equal(w.report.created, true);
  const specs = buildRecords({ seed: 21, count: 300 });
  const offsets = specs.map((s) => w.append(s.kind, s.payload, s.time));
  assert.equal(offsets[0], FILE_HEADER_SIZE);
  for (let i = 1; i < specs.length; i++) assert.equal(offsets[i], offsets[i - 1] + recordSize(bytesOf(specs[i - 1].payload).length));
  assert.ok(w.pendingBytes > 0, 'append does not write synchronously');
  await w.flush();
  assert.equal(w.pendingBytes, 0);
  assert.equal(w.flushedSize, w.size);
  const got = await readAll(file);
  assert.deepEqual(
    got.map((r) => r.offset),
    offsets,
  );
  got.forEach((r, i) => assert.ok(r.payload.equals(bytesOf(specs[i].payload))));
  await w.close();
  assert.throws(() => w.append(1, '{}'), { code: 'CLOSED' });
});

test('the payload is copied: mutating the caller buffer after append changes nothing', async () => {
  const file = fresh();
  const w = await RunLogWriter.open(file);
  const buf = new Uint8Array([1, 2, 3, 4]);
  w.append(2, buf, 1);
  buf.fill(9);
  await w.close();
  assert.deepEqual([...(await readAll(file))[0].payload], [1, 2, 3, 4]);
});

test('bad kinds, times, flags and oversize payloads are rejected', async () => {
  const w = await RunLogWriter.open(fresh());
  assert.throws(() => w.append(0, 'x'), { code: 'BAD_RECORD' });
  assert.throws(() => w.append(5, 'x'), { code: 'BAD_RECORD' });
  assert.throws(() => w.append(1, 'x', NaN), { code: 'BAD_RECORD' });
  assert.throws(() => w.append(1, 'x', 1, 256), { code: 'BAD_RECORD' });
  assert.throws(() => w.append(2, { length: 2 ** 31 } as Uint8Array), { code: 'BAD_RECORD' });
  await w.close();
});

test('reopening appends after the existing records and cuts a torn tail, reporting the bytes', async () => {
  const file = fresh();
  const w = await RunLogWriter.open(file);
  w.append(1, '{"type":"hello"}', 1);
  w.append(2, new Uint8Array(100), 2);
  await w.close();
  const good = fs.statSync(file).size;
  fs.appendFileSync(file, Buffer.from('4c5752310001000000', 'hex'));
  const w2 = await RunLogWriter.open(file);
  assert.deepEqual(w2.report, { created: false, records: 2, droppedBytes: 9, corrupt: [] });
  assert.equal(w2.append(1, '{"type":"end"}', 3), good);
  await w2.close();
  assert.deepEqual(
    (await readAll(file)).map((r) => r.time),
    [1, 2, 3],
  );
  await assert.rejects(RunLogWriter.open(file, { exclusive: true }), { code: 'RUN_EXISTS' });
});

test('a file cut inside its header starts over; a foreign file is NOT_A_LOG', async () => {
  const file = fresh();
  fs.writeFileSync(file, Buffer.from('LWLO'));
  const w = await RunLogWriter.open(file);
  w.append(1, '{}', 1);
  await w.close();
  assert.equal((await readAll(file)).length, 1);
  const other = fresh();
  fs.writeFileSync(other, 'hello world, not a log at all');
  await assert.rejects(RunLogWriter.open(other), { code: 'NOT_A_LOG' });
});

/** A writer fs whose writev fails with `code` after `budget` bytes (part of the failing call is written first, like a real full disk). */
function failingFs(code: string) {
  const real = {
    writev: promisify(fs.writev) as unknown as (fd: number, b: Buffer[], p: number) => Promise<number>,
  };
  const state = { budget: Infinity, truncations: [] as number[], fsyncs: 0 };
  const impl: WriterFs = {
    async writev(fd, buffers, position) {
      const total = buffers.reduce((s, b) => s + b.length, 0);
      if (total <= state.budget) {
        state.budget -= total;
        return real.writev(fd, buffers, position);
      }
      // Write a partial prefix, then fail: the file now ends in a torn record the writer must cut.
      const part = Buffer.concat(buffers).subarray(0, Math.max(0, Math.floor(state.budget)));
      if (part.length) fs.writeSync(fd, part, 0, part.length, position);
      state.budget = 0;
      throw Object.assign(new Error(`${code}: simulated`), { code });
    },
    async ftruncate(fd, len) {
      state.truncations.push(len);
      fs.ftruncateSync(fd, len);
    },
    async fsync() {
      state.fsyncs++;
    },
  };
  return { impl, state };
}

test('disk full: flush rejects DISK_FULL, error is reported, the file is cut back, appends resume when space returns', async () => {
  const file = fresh();
  const { impl, state } = failingFs('ENOSPC');
  const errors: StorageError[] = [];
  const w = await RunLogWriter.open(file, { fs: impl });
  w.on('error', (e: StorageError) => errors.push(e));
  w.append(1, '{"type":"hello"}', 1);
  await w.flush();
  const boundary = w.flushedSize;
  state.budget = 1000;
  const lostAt = w.append(2, new Uint8Array(4000).fill(1), 2);
  w.append(2, new Uint8Array(10).fill(2), 3);
  await assert.rejects(w.flush(), (err: StorageError) => {
    assert.equal(err.code, 'DISK_FULL');
    assert.equal(err.details.fromOffset, boundary);
    return true;
  });
  assert.equal(errors.length, 1);
  assert.equal(errors[0].code, 'DISK_FULL');
  assert.equal(w.size, boundary, 'the logical end moved back to the last written record');
  assert.equal(lostAt, boundary);
  assert.equal(w.pendingBytes, 0);
  await w.flush(); // nothing pending: resolves
  // Still full: a new append fails the same way, and the file stays consistent.
  w.append(1, '{"n":1}', 4);
  await assert.rejects(w.flush(), { code: 'DISK_FULL' });
  assert.equal(fs.statSync(file).size, boundary);
  assert.deepEqual(
    (await readAll(file)).map((r) => r.time),
    [1],
  );
  // Space returns.
  state.budget = Infinity;
  assert.equal(w.append(1, '{"n":2}', 5), boundary);
  await w.sync();
  await w.close();
  assert.deepEqual(
    (await readAll(file)).map((r) => r.time),
    [1, 5],
  );
  assert.ok(state.truncations.includes(boundary));
});

test('an I/O error surfaces as IO_ERROR through the onError callback and a rejected flush', async () => {
  const { impl, state } = failingFs('EIO');
  const seen: string[] = [];
  const w = await RunLogWriter.open(fresh(), { fs: impl, onError: (e) => seen.push(e.code) });
  state.budget = 0;
  w.append(1, '{}', 1);
  await assert.rejects(w.flush(), { code: 'IO_ERROR' });
  assert.deepEqual(seen, ['IO_ERROR']);
  state.budget = Infinity;
  await w.close();
});

test('periodic fsync runs while dirty, at the configured interval', async () => {
  const { impl, state } = failingFs('EIO');
  const w = await RunLogWriter.open(fresh(), { fs: impl, fsyncIntervalMs: 20 });
  w.append(1, '{}', 1);
  await w.flush();
  assert.equal(state.fsyncs, 0);
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(state.fsyncs, 1, 'one fsync for one dirty period');
  await w.close();
});

test('many small appends in one tick are coalesced into few writev calls', async () => {
  let calls = 0;
  const real = promisify(fs.writev) as unknown as WriterFs['writev'];
  const w = await RunLogWriter.open(fresh(), {
    fs: {
      writev: (fd, b, p) => {
        calls++;
        return real(fd, b, p);
      },
    },
  });
  for (let i = 0; i < 500; i++) w.append(1, `{"i":${i}}`, i);
  await w.flush();
  assert.ok(calls <= 2, `${calls} writev calls`);
  await w.close();
});

test('backpressure: needsDrain above the high-water mark, then a drain event', async () => {
  const w = await RunLogWriter.open(fresh(), { highWaterMark: 1 << 20 });
  const big = new Uint8Array(600 << 10);
  w.append(2, big, 1);
  assert.equal(w.needsDrain, false);
  w.append(2, big, 2);
  assert.equal(w.needsDrain, true);
  await new Promise((r) => w.once('drain', r));
  assert.equal(w.needsDrain, false);
  await w.close();
  assert.equal((await scanRunLog(w.path)).records, 2);
});
