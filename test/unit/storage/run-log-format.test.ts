import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { crc32 } from '../../../lib/codecs/crc32';
import {
  FILE_HEADER_SIZE,
  MAX_PAYLOAD,
  RECORD_HEADER_SIZE,
  decodeFileHeader,
  decodeRecordHeader,
  encodeFileHeader,
  encodeRecord,
  paddedLength,
  recordCrc,
  recordSize,
} from '../../../server/storage/run-log-format';
import { randomBytes, seeded } from './helpers';

test('crc32 matches zlib.crc32 for seeded random inputs, whole and continued', () => {
  const rand = seeded(1);
  for (const n of [0, 1, 3, 7, 8, 9, 63, 64, 65, 1000, 4099]) {
    const data = randomBytes(rand, n);
    assert.equal(crc32(data), zlib.crc32(data), `length ${n}`);
    const cut = Math.floor(n / 3);
    assert.equal(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), zlib.crc32(data), `continued at ${cut}`);
  }
  assert.equal(crc32(new TextEncoder().encode('123456789')), 0xcbf43926);
});

test('the file header is "LWLOG\\0", u16 version 1, u32 flags 0, u32 reserved 0', () => {
  const h = encodeFileHeader();
  assert.equal(h.length, FILE_HEADER_SIZE);
  assert.deepEqual([...h], [0x4c, 0x57, 0x4c, 0x4f, 0x47, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  assert.deepEqual(decodeFileHeader(h), { version: 1, flags: 0 });
  assert.equal(decodeFileHeader(h.subarray(0, 10)), 'not-a-log');
  assert.equal(decodeFileHeader(new TextEncoder().encode('{"not":"a log"}!')), 'not-a-log');
  assert.deepEqual(decodeFileHeader(encodeFileHeader(2)), { version: 2, flags: 0 });
});

test('a record has the documented bytes (golden example for other implementations)', () => {
  const payload = new TextEncoder().encode('{"a":1}');
  const rec = encodeRecord(1, payload, 1700000000000.5, 0);
  assert.equal(rec.length, RECORD_HEADER_SIZE + 8);
  const view = new DataView(rec.buffer);
  assert.equal(Buffer.from(rec.subarray(0, 4)).toString('latin1'), 'LWR1');
  assert.equal(view.getUint32(4, true), 7);
  assert.equal(rec[12], 1);
  assert.equal(rec[13], 0);
  assert.equal(view.getUint16(14, true), 0);
  assert.equal(view.getFloat64(16, true), 1700000000000.5);
  const covered = Buffer.concat([rec.subarray(12, 14), rec.subarray(16, 24), payload]);
  assert.equal(view.getUint32(8, true), zlib.crc32(covered));
  assert.equal(rec[31], 0, 'padding is zero');
  // The example published in docs/storage.md.
  assert.equal(Buffer.from(rec).toString('hex'), '4c57523107000000620ef7aa0100000000088056febc78427b2261223a317d00');
});

test('record headers decode, and bad magic, kind, reserved bytes are reported', () => {
  const payload = new Uint8Array([1, 2, 3]);
  const rec = encodeRecord(2, payload, 5, 7);
  const h = decodeRecordHeader(rec.subarray(0, RECORD_HEADER_SIZE));
  assert.ok(typeof h !== 'string');
  assert.equal(h.length, 3);
  assert.equal(h.kind, 2);
  assert.equal(h.flags, 7);
  assert.equal(h.time, 5);
  assert.equal(h.crc, recordCrc(rec, payload));
  const bad = (at: number, v: number) => {
    const c = rec.slice(0, RECORD_HEADER_SIZE);
    c[at] = v;
    return decodeRecordHeader(c);
  };
  assert.equal(bad(0, 0), 'magic');
  assert.equal(bad(12, 0), 'kind');
  assert.equal(bad(12, 5), 'kind');
  assert.equal(bad(14, 1), 'reserved');
  assert.equal(bad(7, 0x80), 'length');
});

test('padding and record sizes hold up to the 2 GiB − 1 payload limit', () => {
  assert.equal(paddedLength(0), 0);
  assert.equal(paddedLength(1), 8);
  assert.equal(paddedLength(8), 8);
  assert.equal(paddedLength(9), 16);
  assert.equal(paddedLength(MAX_PAYLOAD), 2 ** 31);
  assert.equal(recordSize(MAX_PAYLOAD), 2 ** 31 + 24);
});
