/**
 * svcca-k's iterative route (its early give-up and the exact fallback) and CKA's shortcuts (a layer against itself, a
 * known normaliser), each against the exact computation, on seeded synthetic layers and the reference cases.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compare, prepare } from '../../../lib/analysis/index';
import { prepareCka } from '../../../lib/analysis/cka';
import { centre, liveNeurons } from '../../../lib/analysis/centre';
import { kernel } from '../../../lib/analysis/kernel';
import { topEigenIterative } from '../../../lib/analysis/partial-eigen';
import { prepareTop } from '../../../lib/analysis/prepare';
import { topDirections, topRoute, type TopDirections } from '../../../lib/analysis/top-directions';
import type { Activations, PreparedLayer } from '../../../lib/analysis/types';
import { activationsAt, finalState, planRun } from '../../../lib/sim/synthetic-run';
import { gaussianMatrix, Rng } from '../../../lib/random';
import { kernelVariants, loadLayer, referenceCases } from './fixtures';

const close = (got: number, want: number, tol: number, what: string) => assert.ok(Math.abs(got - want) <= tol, `${what}: ${got} vs ${want}`);

/** The layer's top-k directions by the iterative route (forced), as a prepared top-k layer. */
function iterated(x: Activations, k: number): { layer: PreparedLayer; top: TopDirections } {
  const { rows, sumsq } = centre(x, 'x', false);
  const top = topDirections(rows as Float64Array, x.units, x.examples, liveNeurons(sumsq), k, 'iterate');
  return { layer: { ...prepareTop(x, k), rows: top.basis, rowCount: top.d, values: top.values }, top };
}

/** Two checkpoints of a seeded synthetic run's layer (a rank-12 class signal plus shrinking noise, as bench/live sends). */
function syntheticPair(units: number, examples: number, seed: number): [Activations, Activations] {
  const plan = planRun({ layers: 1, units, examples, checkpoints: 6, seed });
  const final = finalState(plan, 0);
  return [3, 5].map((i) => ({ data: activationsAt(plan, 0, i, final), units, examples })) as [Activations, Activations];
}

for (const variant of kernelVariants()) {
  describe(`svcca-k by iteration, CKA shortcuts (${variant.label})`, () => {
    it('seeded synthetic layers: svcca-k by the iteration (converged or fallen back) equals the full decomposition within 1e-6', () => {
      variant.use();
      const [a, b] = syntheticPair(300, 400, 3);
      const [pa, pb] = [prepare(a), prepare(b)];
      // k = 5: a 40% drop after the 5th value and a block (13) reaching past the rank-12 signal's edge: a few applications.
      assert.equal(iterated(a, 5).top.converged, true, 'k=5 converged');
      for (const k of [1, 5, 10, 12, 20]) {
        const ia = iterated(a, k),
          ib = iterated(b, k);
        const want = compare(pa, pb, 'svcca-k', { k });
        const got = compare(ia.layer, ib.layer, 'svcca-k', { k });
        close(got.value, want.value, 1e-6, `k=${k}`);
        assert.deepEqual(got.k, want.k);
      }
    });

    it('every reference case: svcca-k by the iterative route equals the full decomposition within 1e-6', () => {
      variant.use();
      for (const c of referenceCases().cases) {
        const a = loadLayer(c.a.file),
          b = loadLayer(c.b.file);
        const [pa, pb] = [prepare(a), prepare(b)];
        for (const k of [1, 2, 5, 10]) {
          const want = compare(pa, pb, 'svcca-k', { k });
          const got = compare(iterated(a, k).layer, iterated(b, k).layer, 'svcca-k', { k });
          close(got.value, want.value, 1e-6, `${c.name} k=${k}`);
          assert.deepEqual(got.k, want.k, `${c.name} k=${k}`);
        }
      }
    });

    it('a flat spectrum: the iteration gives up early, the Gram route runs, and svcca-k is still the exact one', () => {
      variant.use();
      const rng = new Rng(21);
      const [a, b] = [0, 1].map(() => ({ data: gaussianMatrix(rng, 300, 400), units: 300, examples: 400 }));
      const ia = iterated(a, 10),
        ib = iterated(b, 10);
      assert.equal(ia.top.converged, false, 'Gaussian noise has no gap: the iteration must fall back');
      assert.equal(ib.top.converged, false);
      const { rows, sumsq } = centre(a, 'a', false);
      const gram = topDirections(rows as Float64Array, 300, 400, liveNeurons(sumsq), 10, 'gram-units');
      for (let i = 0; i < 10; i++) close(ia.top.values[i], gram.values[i], 1e-10 * gram.values[0], `λ${i}`);
      close(compare(ia.layer, ib.layer, 'svcca-k').value, compare(prepare(a), prepare(b), 'svcca-k').value, 1e-6, 'svcca-k after the fallback');
    });

    it('the iteration stops as soon as its residual decay predicts a miss, well before its budget', () => {
      variant.use();
      const n = 200;
      const q = gaussianMatrix(new Rng(5), n, n);
      const s = kernel().gram(q, n, n); // Wishart: a spectrum without a gap after the 10th value
      let applications = 0;
      const budget = 400;
      const apply = (v: Float64Array, c: number) => {
        applications++;
        return kernel().mul(v, c, n, s, n);
      };
      assert.equal(topEigenIterative(apply, n, 10, 30), null);
      assert.ok(applications < 30, `gave up after ${applications} of 30 applications`);
      // With room enough it converges: the give-up above was a prediction, not a failure to converge at all.
      applications = 0;
      assert.ok(topEigenIterative(apply, n, 10, budget), `converged within ${budget}`);
      assert.ok(applications > 30, `needed ${applications}`);
    });

    it('the route: the iteration only where 8 of its applications cost less than the Gram on the smaller side', () => {
      assert.equal(topRoute(2048, 5000, 10), 'iterate');
      assert.equal(topRoute(256, 5000, 10), 'gram-units');
      assert.equal(topRoute(5000, 300, 10), 'gram-examples');
      assert.equal(topRoute(768, 2000, 10), 'gram-units');
    });

    it('the top-k route reuses its centring buffer without touching what it returned', () => {
      variant.use();
      const [a, b] = syntheticPair(120, 200, 8);
      const first = prepareTop(a, 5);
      const copy = Float64Array.from(first.rows);
      prepareTop(b, 5);
      assert.deepEqual(Float64Array.from(first.rows), copy);
      assert.deepEqual(Float64Array.from(prepareTop(a, 5).rows), copy, 'the same layer again, the same directions');
    });

    it('CKA: a layer against itself is 1, and a known normaliser gives the identical value', () => {
      variant.use();
      const [a, b] = syntheticPair(90, 150, 4);
      const pa = prepareCka(a),
        pb = prepareCka(b);
      assert.equal(compare(pa, pa, 'cka').value, 1);
      close(compare(pa, prepareCka(a), 'cka').value, 1, 1e-12, 'the same layer prepared twice takes the cross route');
      const known = prepareCka(b, 'layer', true, pb.gramNorm);
      assert.equal(known.gramNorm, pb.gramNorm);
      assert.equal(compare(pa, known, 'cka').value, compare(pa, pb, 'cka').value);
      // Wide layers keep their Gram, whose norm is computed anyway.
      const wide = { data: gaussianMatrix(new Rng(2), 200, 150), units: 200, examples: 150 };
      assert.equal(prepareCka(wide, 'layer', true, 123).gramNorm, prepareCka(wide).gramNorm);
    });
  });
}
