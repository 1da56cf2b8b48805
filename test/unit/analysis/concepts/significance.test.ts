/** The detector's significance rule: the hypergeometric tail against exact rational arithmetic, and what it changes on a 500-example probe. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyseLayerConcepts, bestConcepts, chanceDetectors, createTally, iouFromTally, logFactorial, overlapPValue } from '../../../../lib/analysis/concepts';
import { Rng } from '../../../../lib/random';

/** C(n, k) as a BigInt. */
function choose(n: number, k: number): bigint {
  let r = 1n;
  for (let i = 1; i <= k; i++) r = (r * BigInt(n - k + i)) / BigInt(i);
  return r;
}

/** P(X ≥ I) exactly (BigInt numerator over denominator), rounded to a double at the end. */
function exactTail(N: number, G: number, A: number, I: number): number {
  let num = 0n;
  for (let x = Math.max(I, 0); x <= Math.min(A, G); x++) if (A - x <= N - G) num += choose(G, x) * choose(N - G, A - x);
  const den = choose(N, A);
  // 1e18 fixed point keeps 18 digits of the ratio.
  return Number((num * 10n ** 18n) / den) / 1e18;
}

describe('overlapPValue', () => {
  it('matches exact rational arithmetic on both sides of the mode and at the edges', () => {
    const cases: Array<[number, number, number, number]> = [
      [500, 45, 5, 2],
      [500, 45, 5, 3],
      [500, 50, 5, 4],
      [500, 45, 5, 0],
      [500, 45, 5, 1],
      [500, 500, 5, 5],
      [2000, 300, 40, 6],
      [2000, 300, 40, 20],
      [2000, 300, 40, 40],
      [60, 30, 40, 10],
      [60, 30, 40, 25],
      [10, 3, 4, 4],
    ];
    for (const [N, G, A, I] of cases) {
      const got = overlapPValue(N, G, A, I),
        want = exactTail(N, G, A, I);
      assert.ok(Math.abs(got - want) <= 1e-12 + 1e-9 * want, `P(X ≥ ${I}; N ${N}, G ${G}, A ${A}) = ${got}, exact ${want}`);
    }
  });
  it('is 1 at or below the smallest possible overlap and 0 above the largest', () => {
    assert.equal(overlapPValue(60, 30, 40, 10), 1); // at least 10 of the 40 must show the concept
    assert.equal(overlapPValue(500, 45, 5, 6), 0);
  });
  it('stays finite and ordered for pixel-sized counts', () => {
    const p1 = overlapPValue(392_000, 36_000, 7_840, 730),
      p2 = overlapPValue(392_000, 36_000, 7_840, 1_500);
    assert.ok(p1 > 0.25 && p1 < 0.45, `0.4 sd above the mean (≈720): ${p1}`);
    assert.ok(p2 < 1e-100, `far above the mean: ${p2}`);
  });
  it('logFactorial is continuous across the table and Stirling', () => {
    for (const n of [255, 256, 257, 1000]) assert.ok(Math.abs(logFactorial(n) - logFactorial(n - 1) - Math.log(n)) < 1e-9, `n = ${n}`);
  });
});

describe('significant detectors', () => {
  it('2 of 5 "on" examples in a concept on 45 of 500 is IoU 0.042 but not a detector; 4 of 5 is', () => {
    const tally = createTally(2, 1);
    tally.total = 500;
    tally.gt[0] = 45;
    tally.act.set([5, 5]);
    tally.inter.set([2, 4]);
    const iou = iouFromTally(tally);
    assert.ok(iou[0] > 0.04);
    assert.deepEqual(Array.from(bestConcepts(iou, 2, 1).best), [0, 0], 'IoU alone: both');
    const { best, iou: top } = bestConcepts(iou, 2, 1, tally);
    assert.deepEqual(Array.from(best), [-1, 0]);
    assert.equal(top[0], 0);
  });
  it('a significant second concept wins over an insignificant first', () => {
    const tally = createTally(1, 2);
    tally.total = 500;
    tally.gt.set([45, 200]);
    tally.act[0] = 5;
    tally.inter.set([2, 5]); // IoU 2/48 ≈ 0.042 vs 5/200 = 0.025
    const { best } = bestConcepts(iouFromTally(tally), 1, 2, tally, 0.01);
    assert.equal(best[0], 1);
  });
  it('random units on a 500-example probe with ten 1% concepts: no chance detectors, a planted one survives', () => {
    const m = 500,
      concepts = 10;
    const rng = new Rng(7);
    const conceptLabels = Array.from({ length: m }, () => (rng.next() < 0.9 ? [] : [Math.floor(rng.next() * concepts)]));
    const probe = { examples: m, labels: null, classes: 0, conceptLabels, concepts, category: Array.from({ length: concepts }, () => 0), categories: 1 };
    const chance = chanceDetectors({ units: 64, h: 1, w: 1 }, probe);
    assert.equal(chance.detectors, 0, `chance detectors ${chance.detectors}`);
    // Without the rule (alpha 1) the same random units pass often: the failure the rule is there for.
    const loose = chanceDetectors({ units: 64, h: 1, w: 1 }, probe, { alpha: 1 });
    assert.ok(loose.detectors > 0, `loose chance detectors ${loose.detectors}`);
    // The planted unit fires on the probe's most frequent concept (about 1% of the examples each, a handful).
    const counts = Array.from({ length: concepts }, (_, c) => conceptLabels.filter((l) => l.includes(c)).length);
    const planted = counts.indexOf(Math.max(...counts));
    const data = new Float32Array(m);
    for (let j = 0; j < m; j++) data[j] = (conceptLabels[j].includes(planted) ? 2 : 0) + rng.normal() * 0.3;
    const r = analyseLayerConcepts({ data, units: 1, h: 1, w: 1 }, probe);
    assert.equal(r.best[0], planted);
    assert.equal(r.summary.detectors, 1);
  });
});
