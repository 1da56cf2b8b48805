/** Pixel thresholds on the upsampled maps: against sorting every upsampled pixel, for dense, sparse, tied and dead units. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { bilinearPlan, topQuantileCuts, upsampledQuantileCuts, upsampleInto } from '../../../../lib/analysis/concepts';
import { Rng } from '../../../../lib/random';

const m = 30,
  h = 3,
  w = 3,
  H = 7,
  W = 7;

/** Every upsampled pixel of one unit, brute force. */
function upsampledAll(values: Float32Array, u: number): Float64Array {
  const out = new Float64Array(m * H * W),
    up = new Float64Array(H * W),
    plan = bilinearPlan(h, w, H, W);
  for (let j = 0; j < m; j++) {
    upsampleInto(values, (u * m + j) * h * w, plan, up);
    out.set(up, j * H * W);
  }
  return out;
}

it('turns on the top ⌈q·N⌉ upsampled pixels (plus ties), as topQuantileCuts on the upsampled values', () => {
  const rng = new Rng(11);
  const units = 4;
  const values = new Float32Array(units * m * h * w);
  for (let i = 0; i < m * h * w; i++) {
    values[i] = rng.normal(); // dense
    values[m * h * w + i] = rng.next() < 0.03 ? 1 + rng.next() : 0; // sparse ReLU unit
    values[2 * m * h * w + i] = Math.round(rng.next() * 3); // heavy ties
    values[3 * m * h * w + i] = 2; // dead
  }
  for (const q of [0.005, 0.02, 0.1]) {
    const cuts = upsampledQuantileCuts(values, units, m, h, w, H, W, q);
    for (let u = 0; u < units; u++) {
      const all = upsampledAll(values, u);
      assert.equal(cuts[u], topQuantileCuts(all, 1, all.length, q)[0], `unit ${u}, q ${q}`);
    }
  }
});

it('keeps a sparse unit to its quantile where the raw-map cut would spread it', () => {
  const values = new Float32Array(m * h * w);
  for (let j = 0; j < m; j += 10) values[j * h * w + 4] = 1; // the centre of every tenth map: 1.1% of the raw values, below q
  const q = 0.02;
  const all = upsampledAll(values, 0);
  const on = (cut: number) => all.filter((v) => v > cut).length / all.length;
  const raw = topQuantileCuts(values, 1, values.length, q)[0];
  const upsampled = upsampledQuantileCuts(values, 1, m, h, w, H, W, q)[0];
  assert.ok(on(raw) > 2 * q, `raw cut: ${on(raw)} of the pixels on`);
  assert.ok(on(upsampled) <= q + (1 / all.length) * 10, `upsampled cut: ${on(upsampled)} of the pixels on`);
});
