/** .npy codec: round trips, header versions, byte orders, and each malformed kind with its code. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NpyError, readNpy, readNpy2d, writeNpy } from '../../../lib/codecs/npy';

/** A .npy file with a hand-written header (for versions and malformed cases). */
export function rawNpy(headerText: string, body: Uint8Array, major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const total = Math.ceil((pre + headerText.length + 1) / 64) * 64;
  const text = `${headerText.padEnd(total - pre - 1, ' ')}\n`;
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, text.length, true);
  else view.setUint32(8, text.length, true);
  out.set(new TextEncoder().encode(text), pre);
  out.set(body, total);
  return out;
}

const code = (c: string) => (err: unknown) => err instanceof NpyError && err.code === c;
const bytes = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe('npy codec', () => {
  it('round-trips float32 and float64, 2-D and 1-D', () => {
    const f32 = Float32Array.from({ length: 12 }, (_, i) => i * 0.5 - 2);
    const back = readNpy2d(writeNpy(f32, [3, 4]));
    assert.deepEqual([back.rows, back.cols], [3, 4]);
    assert.ok(back.data instanceof Float32Array);
    assert.deepEqual(back.data, f32);
    const f64 = Float64Array.from({ length: 5 }, (_, i) => Math.PI * i);
    const one = readNpy(writeNpy(f64, [5]));
    assert.deepEqual(one.shape, [5]);
    assert.deepEqual(one.data, f64);
    assert.equal(writeNpy(f32, [3, 4]).length % 64, 48 % 64); // header padded to 64, data follows
  });

  it('views the file buffer in place with alias when the data is aligned little-endian, else copies', () => {
    const f64 = Float64Array.from({ length: 6 }, (_, i) => i + 0.25);
    const file = writeNpy(f64, [2, 3]);
    const viewed = readNpy2d(file, { alias: true });
    assert.equal(viewed.data.buffer, file.buffer);
    assert.deepEqual(viewed.data, f64);
    const copied = readNpy2d(file);
    assert.notEqual(copied.data.buffer, file.buffer);
    // The same bytes one byte into a larger buffer: float64 data is misaligned there, so alias must copy.
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const moved = readNpy2d(shifted.subarray(1), { alias: true });
    assert.notEqual(moved.data.buffer, shifted.buffer);
    assert.deepEqual(moved.data, f64);
  });

  it('reads version 2 and 3 headers and big-endian data', () => {
    const v = Float64Array.from([1.5, -2, 3.25, 4]);
    for (const major of [2, 3]) {
      const arr = readNpy2d(rawNpy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 2), }", bytes(v), major));
      assert.deepEqual(arr.data, v);
    }
    const be = new Uint8Array(16);
    const view = new DataView(be.buffer);
    [1.5, -2, 3.25, 4].forEach((x, i) => view.setFloat32(i * 4, x, false));
    const arr = readNpy2d(rawNpy("{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", be));
    assert.equal(arr.byteOrder, '>');
    assert.deepEqual(Array.from(arr.data), [1.5, -2, 3.25, 4]);
  });

  it('rejects each malformed kind with its code', () => {
    const body = bytes(new Float32Array(4));
    assert.throws(() => readNpy(new TextEncoder().encode('{"not": "npy"}')), code('NPY_BAD_MAGIC'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", body)), code('NPY_UNSUPPORTED_DTYPE'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }", body)), code('NPY_UNSUPPORTED_DTYPE'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", body)), code('NPY_FORTRAN_ORDER'));
    assert.throws(() => readNpy2d(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", body)), code('NPY_NOT_MATRIX'));
    assert.throws(() => readNpy2d(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", body)), code('NPY_NOT_MATRIX'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", body)), code('NPY_TRUNCATED'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3), }", body)), code('NPY_TRAILING_DATA'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f4', 'shape': (2, 2), }", body)), code('NPY_BAD_HEADER'));
    assert.throws(() => readNpy(rawNpy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", body, 4)), code('NPY_BAD_VERSION'));
    const whole = writeNpy(new Float32Array(4), [2, 2]);
    assert.throws(() => readNpy(whole.subarray(0, 20)), code('NPY_TRUNCATED'));
  });
});
