/** Sketches: refused when malformed (BAD_SKETCH), complete when the layer's rank fits in K, capped otherwise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnalysisError, compare, similarity } from '../../../lib/analysis/index';
import { prepareSketch, sketchActivations, validateSketch, type Sketch } from '../../../lib/analysis/sketch';
import { buildLayer, mapLayer } from './fixtures';
import { gaussianMatrix, Rng } from '../../../lib/random';

const code = (c: string) => (err: unknown) => err instanceof AnalysisError && err.code === c && err.message.length > 0;

describe('sketches', () => {
  const layer = buildLayer({ units: 20, examples: 200, seed: 11 });
  const good = sketchActivations(layer, 8);

  it('a valid sketch passes; each kind of damage is BAD_SKETCH', () => {
    validateSketch(good);
    const broken: Array<[string, Sketch]> = [
      ['short basis', { ...good, basis: good.basis.subarray(1) }],
      ['negative σ', { ...good, singular: [-1, ...Array.from(good.singular).slice(1)] }],
      ['ascending σ', { ...good, singular: Array.from(good.singular).reverse() }],
      ['NaN σ', { ...good, singular: [NaN, ...Array.from(good.singular).slice(1)] }],
      ['total below Σσ²', { ...good, total: 1 }],
      ['rows not orthonormal', { ...good, basis: Float32Array.from(good.basis, (v) => 2 * v) }],
    ];
    for (const [what, s] of broken) assert.throws(() => validateSketch(s), code('BAD_SKETCH'), what);
  });

  it('a layer of rank ≤ K is held whole: svcca-k beyond K and the 99% rule are exact, not capped', () => {
    const rng = new Rng(3);
    const base = { data: gaussianMatrix(rng, 5, 200), units: 5, examples: 200 };
    const wide = mapLayer(gaussianMatrix(rng, 30 * 5, 1), 30, base); // 30 neurons of rank 5
    const other = mapLayer(gaussianMatrix(rng, 30 * 5, 1), 30, { ...base, data: base.data.map((v, i) => v + 0.3 * Math.sin(i)) });
    const pa = prepareSketch(sketchActivations(wide, 8)),
      pb = prepareSketch(sketchActivations(other, 8));
    assert.equal(pa.rowCount, 5);
    for (const metric of ['svcca', 'svcca-k'] as const) {
      const r = compare(pa, pb, metric, { k: 20 });
      assert.equal(r.capped, undefined, metric);
      assert.ok(Math.abs(r.value - similarity(wide, other, metric, { k: 20 }).value) < 1e-6, metric);
    }
    assert.ok(Math.abs(compare(pa, pb, 'cka').value - similarity(wide, other, 'cka').value) < 1e-6, 'rank ≤ K: CKA exact');
  });

  it('K must be a positive integer', () => {
    assert.throws(() => sketchActivations(layer, 0), code('BAD_OPTION'));
    assert.throws(() => sketchActivations(layer, 2.5), code('BAD_OPTION'));
  });
});
