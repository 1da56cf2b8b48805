import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFileHeader, encodeRecord, FILE_HEADER_SIZE } from '../../../server/storage/run-log-format';
import { readRunLog, scanRunLog, scanRunLogSync, type LogRecord } from '../../../server/storage/run-log-reader';
import { buildRecords, bytesOf, seeded, tempDir, type RecordSpec } from './helpers';

let dir = '';
let cleanup = async () => {};
before(async () => ({ dir, cleanup } = await tempDir()));
after(() => cleanup());

function encodeLog(records: RecordSpec[]): { bytes: Buffer; offsets: number[] } {
  const parts: Uint8Array[] = [encodeFileHeader()];
  const offsets: number[] = [];
  let at = FILE_HEADER_SIZE;
  for (const r of records) {
    const rec = encodeRecord(r.kind, bytesOf(r.payload), r.time);
    offsets.push(at);
    at += rec.length;
    parts.push(rec);
  }
  return { bytes: Buffer.concat(parts), offsets };
}

async function writeLog(name: string, bytes: Uint8Array): Promise<string> {
  const file = path.join(dir, name);
  await fs.writeFile(file, bytes);
  return file;
}

async function readAll(file: string, opts = {}): Promise<LogRecord[]> {
  const out: LogRecord[] = [];
  for await (const r of readRunLog(file, opts)) out.push(r);
  return out;
}

test('records read back in order with offsets, kinds, times and payloads', async () => {
  const specs = buildRecords({ seed: 7, count: 200 });
  const { bytes, offsets } = encodeLog(specs);
  const file = await writeLog('roundtrip.lwlog', bytes);
  const got = await readAll(file);
  assert.equal(got.length, specs.length);
  got.forEach((r, i) => {
    assert.equal(r.offset, offsets[i]);
    assert.equal(r.kind, specs[i].kind);
    assert.equal(r.time, specs[i].time);
    assert.ok(r.payload.equals(bytesOf(specs[i].payload)));
    assert.equal(r.payload.byteOffset % 8, 0, 'payload is 8-byte aligned');
  });
  const scan = await scanRunLog(file);
  assert.deepEqual(scanRunLogSync(file), scan);
  assert.equal(scan.records, 200);
  assert.equal(scan.validEnd, bytes.length);
  assert.equal(scan.tornBytes, 0);
});

test('binary payloads view as Float32Array without a copy', async () => {
  const floats = new Float32Array([1.5, -2, 3.25, 1e-7, 5]);
  const inner = Buffer.alloc(8 + floats.byteLength);
  inner.writeUInt32LE(0xf1f1f1f1, 0);
  Buffer.from(floats.buffer).copy(inner, 8);
  const file = await writeLog('floats.lwlog', encodeLog([{ kind: 2, payload: inner, time: 1 }]).bytes);
  const [rec] = await readAll(file);
  const view = new Float32Array(rec.payload.buffer, rec.payload.byteOffset + 8, floats.length);
  assert.deepEqual([...view], [...floats]);
});

test('opts.from, opts.to and opts.kinds select records', async () => {
  const specs = buildRecords({ seed: 8, count: 50 });
  const { bytes, offsets } = encodeLog(specs);
  const file = await writeLog('select.lwlog', bytes);
  const fromTen = await readAll(file, { from: offsets[10] });
  assert.equal(fromTen.length, 40);
  assert.equal(fromTen[0].offset, offsets[10]);
  const upTo = await readAll(file, { to: offsets[5] });
  assert.equal(upTo.length, 5);
  const json = await readAll(file, { kinds: [1, 3] });
  assert.deepEqual(
    json.map((r) => r.offset),
    offsets.filter((_, i) => specs[i].kind !== 2),
  );
  await assert.rejects(readAll(file, { from: offsets[1] + 4 }), { code: 'BAD_OFFSET' });
});

test('a log torn at every byte of its last record reads the complete records only', async () => {
  const specs = buildRecords({ seed: 9, count: 6, maxBinary: 40 });
  const { bytes, offsets } = encodeLog(specs);
  const lastStart = offsets[offsets.length - 1];
  for (let cut = lastStart; cut < bytes.length; cut++) {
    const file = await writeLog(`torn-${cut}.lwlog`, bytes.subarray(0, cut));
    const got = await readAll(file);
    assert.equal(got.length, specs.length - 1, `cut at ${cut}`);
    const scan = await scanRunLog(file);
    assert.equal(scan.validEnd, lastStart);
    assert.equal(scan.tornBytes, cut - lastStart);
    assert.deepEqual(scan.corrupt, []);
    if (cut > lastStart) await assert.rejects(readAll(file, { strict: true }), { code: 'LOG_TRUNCATED' });
  }
});

test('a last record with a flipped payload bit (bad CRC) is dropped, never misread', async () => {
  const specs = buildRecords({ seed: 10, count: 5 });
  const { bytes, offsets } = encodeLog(specs);
  const bad = Buffer.from(bytes);
  bad[offsets[4] + 24] ^= 0x01;
  const file = await writeLog('badcrc-last.lwlog', bad);
  assert.equal((await readAll(file)).length, 4);
  assert.equal((await scanRunLog(file)).tornBytes, bytes.length - offsets[4]);
});

test('corruption in the middle: strict readers throw LOG_CORRUPT, others skip it and go on', async () => {
  const specs = buildRecords({ seed: 11, count: 20 });
  const { bytes, offsets } = encodeLog(specs);
  const rand = seeded(12);
  for (const damage of ['crc', 'magic', 'zeros'] as const) {
    const bad = Buffer.from(bytes);
    const victim = 5 + Math.floor(rand() * 10);
    if (damage === 'crc') bad[offsets[victim] + 24] ^= 0xff;
    else if (damage === 'magic') bad[offsets[victim]] = 0;
    else bad.fill(0, offsets[victim], offsets[victim + 1]);
    const file = await writeLog(`middle-${damage}.lwlog`, bad);
    await assert.rejects(readAll(file, { strict: true }), { code: 'LOG_CORRUPT' }, damage);
    const ranges: unknown[] = [];
    const got = await readAll(file, { onCorrupt: (r: unknown) => ranges.push(r) });
    assert.equal(got.length, 19, damage);
    assert.ok(!got.some((r) => r.offset === offsets[victim]));
    assert.deepEqual(ranges, [{ offset: offsets[victim], length: offsets[victim + 1] - offsets[victim] }]);
    const scan = await scanRunLog(file);
    assert.equal(scan.validEnd, bytes.length, 'the tail after a damaged middle is kept');
    assert.equal(scan.tornBytes, 0);
    await assert.rejects(scanRunLog(file, { strict: true }), { code: 'LOG_CORRUPT' });
  }
});

test('a torn record holding a complete embedded log record is not misread', async () => {
  const inner = encodeRecord(1, bytesOf('{"type":"checkpoint","step":999}'), 5);
  const payload = Buffer.concat([Buffer.alloc(8), inner, Buffer.alloc(64)]);
  const { bytes } = encodeLog([
    { kind: 1, payload: '{}', time: 1 },
    { kind: 2, payload, time: 2 },
  ]);
  const file = await writeLog('embedded.lwlog', bytes.subarray(0, bytes.length - 16));
  const got = await readAll(file);
  assert.equal(got.length, 1);
});

test('not a log, a future version and a missing file have their codes', async () => {
  await assert.rejects(readAll(await writeLog('json.lwlog', Buffer.from('{"hello": "world"}\n'))), { code: 'NOT_A_LOG' });
  await assert.rejects(readAll(await writeLog('empty.lwlog', Buffer.alloc(0))), { code: 'NOT_A_LOG' });
  await assert.rejects(scanRunLog(await writeLog('v2.lwlog', encodeFileHeader(2))), { code: 'LOG_VERSION' });
  await assert.rejects(readAll(path.join(dir, 'missing.lwlog')), { code: 'RUN_NOT_FOUND' });
});

test('reading a large log keeps memory bounded (streams, never whole-file)', async () => {
  const chunk = new Uint8Array(1 << 20).fill(3);
  const specs: RecordSpec[] = Array.from({ length: 192 }, (_, i) => ({ kind: 2, payload: chunk, time: i }));
  const file = await writeLog('large.lwlog', encodeLog(specs).bytes);
  global.gc?.();
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  let n = 0;
  for await (const r of readRunLog(file)) {
    n += r.payload.length === chunk.length ? 1 : 0;
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  }
  assert.equal(n, 192);
  // 192 MiB of payload; the reader must not hold more than a window plus a few payloads (GC permitting).
  assert.ok(peak < 96 << 20, `peak extra ArrayBuffer memory ${(peak / 1048576).toFixed(1)} MiB`);
});
