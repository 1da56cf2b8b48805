/** Invariances and symmetry (issue 11 §4) and rank-deficient inputs, on each kernel. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { similarities, similarity } from '../../../lib/analysis/index';
import { selectKernel } from '../../../lib/analysis/kernel';
import { gaussianMatrix, Rng } from '../../../lib/random';
import type { Activations } from '../../../lib/analysis/types';
import { buildLayer, kernels, kernelVariants, mapLayer, randomOrthogonal, relatedPair } from './fixtures';

const close = (x: number, y: number, tol: number, what: string) => assert.ok(Math.abs(x - y) <= tol, `${what}: ${x} vs ${y}`);

function scaled(layer: Activations, c: number): Activations {
  return { ...layer, data: Float64Array.from(layer.data, (v) => v * c + 5) };
}

for (const variant of kernelVariants()) {
  describe(`properties (${variant.label})`, () => {
    const [a, b] = relatedPair(24, 400, 11);

    it('an orthogonal rotation of the neurons leaves SVCCA and CKA unchanged', () => {
      variant.use();
      const rotated = mapLayer(randomOrthogonal(24, 5), 24, b);
      const [s0, c0] = similarities(a, b, ['svcca', 'cka']);
      const [s1, c1] = similarities(a, rotated, ['svcca', 'cka']);
      assert.ok(s0.value > 0.2 && s0.value < 0.99, `svcca strictly inside (0, 1): ${s0.value}`);
      close(s1.value, s0.value, 1e-9, 'svcca');
      assert.deepEqual(s1.k, s0.k);
      close(c1.value, c0.value, 1e-9, 'cka');
    });

    it('isotropic scaling (and an offset) leaves SVCCA and CKA unchanged', () => {
      variant.use();
      const [s0, c0] = similarities(a, b, ['svcca', 'cka']);
      const [s1, c1] = similarities(scaled(a, 37.5), scaled(b, 0.01), ['svcca', 'cka']);
      close(s1.value, s0.value, 1e-9, 'svcca');
      close(c1.value, c0.value, 1e-9, 'cka');
    });

    it('a general invertible linear map keeps plain (full-rank) CCA at 1', () => {
      variant.use();
      const layer = buildLayer({ units: 20, examples: 300, seed: 3 });
      const mapped = mapLayer(gaussianMatrix(new Rng(4), 20, 20), 20, layer);
      const [pw, full] = similarities(layer, mapped, ['pwcca', 'svcca'], { threshold: 1 });
      close(pw.value, 1, 1e-8, 'pwcca');
      assert.deepEqual(full.k, [20, 20]);
      for (const r of full.rho as number[]) close(r, 1, 1e-8, 'rho');
      // With the 99% cut the kept subspaces differ, so SVCCA-99 is only close to 1 (not asserted equal).
      const s99 = similarity(layer, mapped, 'svcca').value;
      assert.ok(s99 > 0.9 && s99 <= 1 + 1e-12, `svcca-99 ${s99}`);
    });

    it('swapping A and B changes nothing', () => {
      variant.use();
      const wide = buildLayer({ units: 30, examples: 400, seed: 8 });
      for (const [x, y] of [
        [a, b],
        [a, wide],
      ] as const) {
        const fwd = similarities(x, y, ['svcca', 'svcca-k', 'pwcca', 'cka'], { k: 5 });
        const back = similarities(y, x, ['svcca', 'svcca-k', 'pwcca', 'cka'], { k: 5 });
        fwd.forEach((r, i) => {
          close(back[i].value, r.value, 1e-9, r.metric);
          if (r.k) assert.deepEqual(back[i].k, [r.k[1], r.k[0]]);
        });
      }
    });

    it('svcca-k keeps exactly min(k, rank) directions per side', () => {
      variant.use();
      const r = similarity(a, b, 'svcca-k', { k: 7 });
      assert.deepEqual(r.k, [7, 7]);
      assert.equal(r.rho?.length, 7);
      const small = similarity(a, b, 'svcca-k', { k: 100 });
      assert.deepEqual(small.k, [24, 24]);
      const rho = similarity(a, b, 'svcca-k').rho as number[];
      for (let i = 1; i < rho.length; i++) assert.ok(rho[i] <= rho[i - 1] + 1e-12, 'rho descending');
    });

    it('duplicate, dead and constant neurons give finite answers', () => {
      variant.use();
      const base = buildLayer({ units: 12, examples: 200, seed: 21 });
      const data = new Float64Array(16 * 200);
      data.set(base.data);
      data.set(base.data.subarray(0, 200), 12 * 200); // duplicate of neuron 0
      data.set(base.data.subarray(200, 400), 13 * 200); // duplicate of neuron 1
      data.fill(0, 14 * 200, 15 * 200); // dead
      data.fill(0.7, 15 * 200, 16 * 200); // constant
      const odd: Activations = { data, units: 16, examples: 200 };
      const results = similarities(odd, base, ['svcca', 'svcca-k', 'pwcca', 'cka'], { threshold: 1 });
      for (const r of results) assert.ok(Number.isFinite(r.value) && r.value > 0 && r.value <= 1 + 1e-12, `${r.metric} ${r.value}`);
      // Duplicates add no direction and dead/constant neurons are filtered: same span as base, so full CCA is 1.
      const [svcca, , pwcca] = results;
      assert.deepEqual(svcca.k, [12, 12]);
      close(svcca.value, 1, 1e-8, 'svcca (threshold 1)');
      close(pwcca.value, 1, 1e-8, 'pwcca');
    });

    it('an all-constant layer scores 0, not NaN', () => {
      variant.use();
      const constant: Activations = { data: new Float64Array(4 * 50).fill(2), units: 4, examples: 50 };
      const other = buildLayer({ units: 4, examples: 50, seed: 1 });
      for (const r of similarities(constant, other, ['svcca', 'pwcca', 'cka'])) assert.equal(r.value, 0, r.metric);
    });
  });
}

describe('kernels agree', () => {
  it('native and js give the same values', { skip: kernels().length < 2 && 'native addon not built' }, () => {
    const [a, b] = relatedPair(40, 300, 99);
    const run = (k: 'js' | 'native-openblas') => {
      selectKernel(k);
      return similarities(a, b, ['svcca', 'svcca-k', 'pwcca', 'cka']);
    };
    const js = run('js'),
      nat = run('native-openblas');
    selectKernel('auto');
    js.forEach((r, i) => {
      close(nat[i].value, r.value, 1e-9, r.metric);
      assert.deepEqual(nat[i].k, r.k);
    });
  });
});
selectKernel('auto');
