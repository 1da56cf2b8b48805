/** binary16 codec and the float16 store: exact round trips of every half, ties to even, a power-of-two scale, frames that read back. */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { test } from 'node:test';
import { decodeHalf, encodeHalf, fromHalf, halfScale, toHalf } from '../../../lib/codecs/float16';
import { decodeFrame, encodeFrame } from '../../../lib/protocol';
import { encodeHalfFast, frameToStore } from '../../../server/storage/float16-store';

test('every binary16 value survives float32 and back; NaN stays NaN', () => {
  for (let h = 0; h < 65536; h++) {
    const x = fromHalf(h);
    if (Number.isNaN(x)) assert.ok(Number.isNaN(fromHalf(toHalf(x))));
    else assert.equal(toHalf(x), h, `bits ${h.toString(16)}`);
  }
});

test('rounding is to nearest, ties to even; overflow is Inf, underflow signed zero', () => {
  assert.equal(fromHalf(toHalf(1 + 2 ** -11)), 1, 'tie between 1 and 1+2⁻¹⁰ goes to the even 1');
  assert.equal(fromHalf(toHalf(1 + 3 * 2 ** -11)), 1 + 2 * 2 ** -10, 'tie goes up to the even neighbour');
  assert.equal(fromHalf(toHalf(1 + 2 ** -11 + 2 ** -20)), 1 + 2 ** -10, 'above the tie: up');
  assert.equal(fromHalf(toHalf(70000)), Infinity);
  assert.ok(Object.is(fromHalf(toHalf(-1e-9)), -0));
  assert.equal(fromHalf(toHalf(2 ** -24)), 2 ** -24, 'smallest subnormal');
});

test('the scale is a power of two that keeps the largest value below 2¹⁵; relative error ≤ 2⁻¹¹ of it', () => {
  for (const big of [1e-6, 0.3, 1, 1000, 3e7]) {
    const data = Float32Array.from({ length: 1000 }, (_, i) => big * Math.sin(i * 1.7));
    const scale = halfScale(data);
    assert.equal(2 ** Math.round(Math.log2(scale)), scale);
    const half = new Uint16Array(data.length);
    encodeHalf(data, scale, half);
    assert.deepEqual(encodeHalfFast(data, scale), half, 'native and JavaScript encoders give the same bits');
    const back = new Float32Array(data.length);
    decodeHalf(half, scale, back);
    const max = data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < data.length; i++) assert.ok(Math.abs(back[i] - data[i]) <= max * 2 ** -11, `${big}: ${data[i]} → ${back[i]}`);
  }
  assert.equal(halfScale(new Float32Array(4)), 1);
});

test('frameToStore: a finite activation frame becomes a float16 frame that decodes back; others are stored as received', () => {
  const data = Float32Array.from({ length: 60 * 200 }, (_, i) => Math.cos(i) * 50);
  const raw = encodeFrame({ step: 3, layer: 'h', shape: [60, 200] }, data);
  const frame = decodeFrame(raw);
  const stored = frameToStore('float16', raw, frame, zlib.crc32(raw), true);
  assert.ok(stored.payload.length < raw.length * 0.6, 'about half the bytes');
  assert.equal(stored.crc, zlib.crc32(stored.payload));
  const back = decodeFrame(stored.payload);
  assert.deepEqual([back.header.dtype, back.header.layer, back.header.step, back.header.shape], ['float16', 'h', 3, [60, 200]]);
  for (let i = 0; i < data.length; i++) assert.ok(Math.abs(back.data[i] - data[i]) <= 50 * 2 ** -11);
  assert.equal(frameToStore('float32', raw, frame, 1, true).payload, raw, 'the float32 store keeps the bytes');
  assert.equal(frameToStore('float16', raw, frame, 1, false).payload, raw, 'frames with NaN/Inf are kept as received');
  const sk = encodeFrame(
    { step: 3, layer: 'h', shape: [1, 20], kind: 'sketch', sketch: { singular: [2], total: 4 } },
    Float32Array.from({ length: 20 }, () => Math.sqrt(1 / 20)),
  );
  assert.equal(frameToStore('float16', sk, decodeFrame(sk), 1, true).payload, sk, 'sketches are kept as received');
});
