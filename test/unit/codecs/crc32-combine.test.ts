/** lib/codecs/crc32-combine matches zlib.crc32 over the concatenation. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import zlib from 'node:zlib';
import { crc32Combine } from '../../../lib/codecs/crc32-combine';

it('crc32Combine(crc(a), crc(b), |b|) === crc(a‖b) for many lengths', () => {
  const data = new Uint8Array(70_001).map((_, i) => (i * 2654435761) >>> 23);
  for (const [a, b] of [
    [0, 0],
    [0, 5],
    [5, 0],
    [1, 1],
    [10, 3],
    [3, 10],
    [24, 65_536],
    [1000, 69_001],
    [7, 4097],
  ]) {
    const A = data.subarray(0, a);
    const B = data.subarray(a, a + b);
    assert.equal(crc32Combine(zlib.crc32(A), zlib.crc32(B), b), zlib.crc32(data.subarray(0, a + b)), `${a}+${b}`);
  }
});
