/** lib/codecs/finite: the exponent-bit scan agrees with Number.isFinite for every kind of float32. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { allFinite32, countNonFinite32 } from '../../../lib/codecs/finite';

it('finds NaN, ±Inf at any position (unrolled body and tail) and ignores extremes', () => {
  for (const len of [0, 1, 7, 8, 9, 63]) {
    const ok = new Float32Array(len).map((_, i) => [0, -0, 1e-45, -3.4e38, 3.4e38, 1.17e-38][i % 6]);
    assert.equal(allFinite32(ok), true);
    assert.equal(countNonFinite32(ok), 0);
    for (let at = 0; at < len; at++) {
      for (const bad of [NaN, Infinity, -Infinity]) {
        const d = ok.slice();
        d[at] = bad;
        assert.equal(allFinite32(d), false, `${bad} at ${at} of ${len}`);
        assert.equal(countNonFinite32(d), 1);
      }
    }
  }
});

it('works on a view at an offset into a larger buffer', () => {
  const buf = new Float32Array(20);
  buf[2] = NaN;
  assert.equal(allFinite32(buf.subarray(3)), true);
  assert.equal(allFinite32(buf.subarray(1)), false);
});
