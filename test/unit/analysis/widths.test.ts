/**
 * Wide layers: the top-k route of svcca-k, the datapoint-side routes (more neurons than datapoints), CKA's two exact
 * routes and sketches, against numpy (test/fixtures/widths, seeded) and against the full decomposition, on each kernel.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { compare, prepare, prepareFor, similarity, slim } from '../../../lib/analysis/index';
import { ckaRoute, prepareCka } from '../../../lib/analysis/cka';
import { centre, liveNeurons } from '../../../lib/analysis/centre';
import { prepareTop } from '../../../lib/analysis/prepare';
import { prepareSketch, sketchActivations } from '../../../lib/analysis/sketch';
import { topDirections, type TopRoute } from '../../../lib/analysis/top-directions';
import { Rng } from '../../../lib/random';
import type { Activations } from '../../../lib/analysis/types';
import { readNpy2d } from '../../../lib/codecs/npy';
import { kernelVariants, loadLayer, referenceCases } from './fixtures';

const DIR = join(import.meta.dirname, '../../fixtures/widths');
interface WidthCase {
  name: string;
  a: string;
  b: string;
  svcca_k: Record<string, number>;
  svcca: number;
  k: [number, number];
  cka: number;
  cka_rank_k: number;
  total: [number, number];
  values: [number[], number[]];
}
const expected = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as { ks: number[]; sketch_k: number; cases: WidthCase[] };
const load = (file: string): Activations => {
  const arr = readNpy2d(readFileSync(join(DIR, file)));
  return { data: arr.data, units: arr.rows, examples: arr.cols };
};
const close = (got: number, want: number, tol: number, what: string) => assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

/** A seeded layer with a power-law spectrum (σ_i ∝ i^-alpha), as real layers have. */
function decaying(units: number, examples: number, alpha: number, seed: number): Activations {
  const rng = new Rng(seed);
  const r = Math.min(units, examples);
  const a = Float64Array.from({ length: units * r }, () => rng.normal());
  const b = Float64Array.from({ length: r * examples }, (_, i) => rng.normal() * (Math.floor(i / examples) + 1) ** -alpha);
  const data = new Float64Array(units * examples);
  for (let i = 0; i < units; i++)
    for (let k = 0; k < r; k++) {
      const f = a[i * r + k];
      for (let j = 0; j < examples; j++) data[i * examples + j] += f * b[k * examples + j];
    }
  return { data, units, examples };
}

/** Linear CKA by the definition, in plain loops: ‖X_a X_bᵀ‖²_F / (‖X_a X_aᵀ‖_F ‖X_b X_bᵀ‖_F), rows centred. */
function ckaByCross(x: Activations, y: Activations): number {
  const m = x.examples;
  const c = (l: Activations) => {
    const out = new Float64Array(l.units * m);
    for (let i = 0; i < l.units; i++) {
      let mu = 0;
      for (let j = 0; j < m; j++) mu += l.data[i * m + j];
      mu /= m;
      for (let j = 0; j < m; j++) out[i * m + j] = l.data[i * m + j] - mu;
    }
    return out;
  };
  const cx = c(x),
    cy = c(y);
  const normSq = (p: Float64Array, pu: number, q: Float64Array, qu: number) => {
    let s = 0;
    for (let i = 0; i < pu; i++)
      for (let k = 0; k < qu; k++) {
        let d = 0;
        for (let j = 0; j < m; j++) d += p[i * m + j] * q[k * m + j];
        s += d * d;
      }
    return s;
  };
  return normSq(cx, x.units, cy, y.units) / Math.sqrt(normSq(cx, x.units, cx, x.units) * normSq(cy, y.units, cy, y.units));
}

for (const variant of kernelVariants()) {
  describe(`wide layers and sketches (${variant.label})`, () => {
    for (const c of expected.cases) {
      it(`${c.name}: svcca-k, svcca, cka against numpy, by every route`, () => {
        variant.use();
        const a = load(c.a),
          b = load(c.b);
        const pa = prepare(a),
          pb = prepare(b);
        for (const k of expected.ks) {
          const want = c.svcca_k[String(k)];
          close(similarity(a, b, 'svcca-k', { k }).value, want, 1e-7, `one-off top-k, k=${k}`); // Gram route vs numpy's SVD: ~4e-9
          close(compare(prepareFor(a, 'svcca-k', { k }), prepareFor(b, 'svcca-k', { k }), 'svcca-k', { k }).value, want, 1e-6, `cached top-k, k=${k}`);
          close(compare(pa, pb, 'svcca-k', { k }).value, want, 1e-6, `full decomposition, k=${k}`);
        }
        const s = compare(pa, pb, 'svcca');
        assert.deepEqual(s.k, c.k);
        close(s.value, c.svcca, 1e-6, 'svcca');
        close(compare(prepareCka(a), prepareCka(b), 'cka').value, c.cka, 1e-9, 'cka, cached forms');
        close(similarity(a, b, 'cka').value, c.cka, 1e-9, 'cka, one-off');
        close(compare(pa, pb, 'pwcca').value, compare(slim(pa, 'pwcca'), slim(pb, 'pwcca'), 'pwcca').value, 1e-6, 'pwcca slimmed');
      });

      it(`${c.name}: a sketch answers svcca-k exactly, svcca capped at K, cka approximately, pwcca not at all`, () => {
        variant.use();
        const K = expected.sketch_k;
        const sa = sketchActivations(load(c.a), K),
          sb = sketchActivations(load(c.b), K);
        [sa, sb].forEach((s, i) => {
          close(s.total, c.total[i], 1e-9 * c.total[i], 'total variance');
          c.values[i].forEach((v, j) => close(s.singular[j] ** 2, v, 1e-9 * c.values[i][0], `σ²[${j}]`));
        });
        const pa = prepareSketch(sa),
          pb = prepareSketch(sb);
        for (const k of expected.ks.filter((k) => k <= K)) {
          const r = compare(pa, pb, 'svcca-k', { k });
          close(r.value, c.svcca_k[String(k)], 1e-6, `sketch svcca-k, k=${k}`);
          assert.equal(r.capped, undefined);
        }
        const beyond = compare(pa, pb, 'svcca-k', { k: 10 });
        assert.equal(beyond.capped, true);
        assert.deepEqual(beyond.k, [K, K]);
        const s99 = compare(pa, pb, 'svcca');
        assert.equal(s99.capped, true, 'the 99% rule needs more than K directions here');
        assert.deepEqual(s99.k, [K, K]);
        const cka = compare(pa, pb, 'cka');
        assert.equal(cka.approximate, true);
        close(cka.value, c.cka_rank_k, 1e-6, 'cka of the rank-K truncations');
        // A sketch meets a raw layer in CKA through the raw layer's own rank-K truncation.
        close(compare(pa, prepareCka(load(c.b)), 'cka').value, c.cka_rank_k, 1e-6, 'sketch × raw cka');
        assert.throws(
          () => compare(pa, pb, 'pwcca'),
          (e: Error & { code?: string }) => e.code === 'NEEDS_RAW',
        );
      });
    }

    it('top-k svcca-k equals the full decomposition on every reference case, k = 1…20', () => {
      variant.use();
      for (const c of referenceCases().cases) {
        const a = loadLayer(c.a.file),
          b = loadLayer(c.b.file);
        const pa = prepare(a),
          pb = prepare(b);
        for (const k of [1, 2, 5, 10, 20]) {
          const want = compare(pa, pb, 'svcca-k', { k });
          const got = compare(prepareTop(a, k), prepareTop(b, k), 'svcca-k', { k });
          close(got.value, want.value, 1e-6, `${c.name} k=${k}`);
          assert.deepEqual(got.k, want.k, `${c.name} k=${k}`);
        }
      }
    });

    it('every top-k route gives the same directions as the full decomposition (power-law spectra, both orientations)', () => {
      variant.use();
      for (const [units, examples] of [
        [260, 300],
        [300, 260],
      ]) {
        const x = decaying(units, examples, 0.6, units);
        const { rows, sumsq } = centre(x, 'x', false);
        const kept = liveNeurons(sumsq);
        const full = prepare(x);
        const routes: TopRoute[] = ['gram-units', 'gram-examples', 'iterate'];
        for (const route of routes) {
          const top = topDirections(rows as Float64Array, units, examples, kept, 10, route);
          assert.equal(top.d, 10);
          for (let i = 0; i < 10; i++) close(top.values[i], full.values[i], 1e-10 * full.values[0], `${route} λ${i}`);
          const asLayer = { ...prepareTop(x, 10), rows: top.basis };
          close(compare(asLayer, slim(full, 'svcca-k'), 'svcca-k').value, 1, 1e-9, `${route} subspace`);
        }
      }
    });

    it('rank below k: as many directions as the rank, on every route', () => {
      variant.use();
      const base = decaying(6, 400, 0.5, 9);
      const data = new Float64Array(30 * 400);
      for (let i = 0; i < 30; i++) data.set(base.data.subarray((i % 6) * 400, ((i % 6) + 1) * 400), i * 400); // 5 copies of 6 rows
      const x = { data, units: 30, examples: 400 };
      const { rows, sumsq } = centre(x, 'x', false);
      for (const route of ['gram-units', 'gram-examples', 'iterate'] as TopRoute[]) {
        assert.equal(topDirections(rows as Float64Array, 30, 400, liveNeurons(sumsq), 10, route).d, 6, route);
      }
      assert.deepEqual(similarity(x, x, 'svcca-k', { k: 10 }).k, [6, 6]);
    });

    it('CKA: the neuron cross product and the datapoint Grams agree, and each shape takes the cheaper one', () => {
      variant.use();
      const narrow = decaying(40, 120, 0.5, 1),
        wide = decaying(200, 120, 0.5, 2),
        wide2 = decaying(150, 120, 0.8, 3);
      const [pn, pw, pw2] = [prepareCka(narrow), prepareCka(wide), prepareCka(wide2)];
      assert.equal(pn.form, 'data');
      assert.equal(pw.form, 'gram');
      assert.equal(ckaRoute(pn, pn), 'cross');
      assert.equal(ckaRoute(pw, pw2), 'grams');
      assert.equal(ckaRoute(pn, pw), 'mixed');
      close(compare(pw, pw2, 'cka').value, ckaByCross(wide, wide2), 1e-10, 'grams vs cross');
      close(compare(pn, pw, 'cka').value, ckaByCross(narrow, wide), 1e-10, 'mixed vs cross');
      close(compare(pw, pn, 'cka').value, ckaByCross(wide, narrow), 1e-10, 'mixed, swapped');
      close(compare(pn, prepareCka(wide2), 'cka').value, ckaByCross(narrow, wide2), 1e-10, 'mixed, other pair');
    });
  });
}
