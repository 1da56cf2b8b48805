/** Class sensitivity: R by hand on an orthonormal basis, agreement with least squares, a class with no examples, and a whole layer. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyseLayerConcepts, chanceDetectors, classSensitivity, keptDirections, multipleCorrelation } from '../../../../lib/analysis/concepts';
import { Rng } from '../../../../lib/random';

const close = (a: number, b: number, tol = 1e-9) => assert.ok(Math.abs(a - b) < tol, `${a} ≈ ${b}`);

/** R² of y ~ [1, X] by normal equations (tiny, dense, Gauss–Jordan): the reference for the projection route. */
function lstsqR(x: number[][], y: number[]): number {
  const m = y.length;
  const cols = [new Array(m).fill(1), ...x];
  const p = cols.length;
  const a = cols.map((ci) => [...cols.map((cj) => ci.reduce((s, v, j) => s + v * cj[j], 0)), ci.reduce((s, v, j) => s + v * y[j], 0)]);
  for (let i = 0; i < p; i++) {
    const piv = a[i][i];
    for (let k = i; k <= p; k++) a[i][k] /= piv;
    for (let r = 0; r < p; r++)
      if (r !== i) {
        const f = a[r][i];
        for (let k = i; k <= p; k++) a[r][k] -= f * a[i][k];
      }
  }
  const beta = a.map((row) => row[p]);
  const fit = y.map((_, j) => cols.reduce((s, c, i) => s + beta[i] * c[j], 0));
  const mean = y.reduce((s, v) => s + v, 0) / m;
  const res = y.reduce((s, v, j) => s + (v - fit[j]) ** 2, 0),
    tot = y.reduce((s, v) => s + (v - mean) ** 2, 0);
  return Math.sqrt(1 - res / tot);
}

describe('multipleCorrelation', () => {
  const q = Float64Array.from([0.5, -0.5, 0.5, -0.5]);
  it('is 1 for a target in the span, 0 for an orthogonal one, NaN for a constant one', () => {
    close(multipleCorrelation(q, 1, 4, [1, 0, 1, 0]), 1);
    close(multipleCorrelation(q, 1, 4, [1, 1, 0, 0]), 0);
    assert.ok(Number.isNaN(multipleCorrelation(q, 1, 4, [2, 2, 2, 2])));
  });
});

describe('classSensitivity', () => {
  const rng = new Rng(7);
  const units = 3,
    m = 40;
  const labels = Array.from({ length: m }, (_, j) => j % 3);
  const data = new Float64Array(units * m);
  for (let u = 0; u < units; u++) for (let j = 0; j < m; j++) data[u * m + j] = (labels[j] === u ? 1 : 0) * 0.7 + rng.normal();
  it('equals the multiple correlation of a least-squares fit on all kept directions (threshold 1)', () => {
    const { basis, k } = keptDirections(data, units, m, 1);
    assert.equal(k, 3);
    const r = classSensitivity(basis, k, m, { kind: 'indicator', labels, classes: 4 });
    const rows = [0, 1, 2].map((u) => Array.from(data.subarray(u * m, (u + 1) * m)));
    for (let c = 0; c < 3; c++)
      close(
        r[c],
        lstsqR(
          rows,
          labels.map((l) => (l === c ? 1 : 0)),
        ),
        1e-6,
      );
    assert.ok(Number.isNaN(r[3]), 'a class with no examples has no sensitivity');
  });
  it('uses logits when given', () => {
    const { basis, k } = keptDirections(data, units, m, 1);
    const logits = Float64Array.from(data.subarray(0, m));
    close(classSensitivity(basis, k, m, { kind: 'logits', data: logits, classes: 1 })[0], 1, 1e-6);
  });
});

describe('analyseLayerConcepts', () => {
  it('finds a planted detector, ignores a dead unit and reports selectivity and sensitivity', () => {
    const rng = new Rng(3);
    const m = 400,
      units = 3;
    const conceptLabels = Array.from({ length: m }, (_, j) => (j % 10 === 0 ? [0] : j % 7 === 0 ? [1] : []));
    const labels = Array.from({ length: m }, (_, j) => j % 2);
    const data = new Float32Array(units * m);
    for (let j = 0; j < m; j++) {
      data[j] = (conceptLabels[j].includes(0) ? 4 : 0) + 0.1 * rng.normal();
      data[m + j] = rng.normal() + (labels[j] === 1 ? 3 : 0);
    }
    const probe = { examples: m, labels, classes: 2, conceptLabels, concepts: 2, category: [0, 1], categories: 2 };
    const r = analyseLayerConcepts({ data, units, h: 1, w: 1 }, probe);
    assert.equal(r.mode, 'image');
    assert.equal(r.quantile, 0.01);
    assert.equal(r.best[0], 0);
    close(r.bestIou[0], 4 / 40); // top ⌈0.01·400⌉ = 4 examples, all showing concept 0 (40 examples)
    assert.equal(r.best[2], -1);
    assert.ok(r.selectivity[1] > 0.25 && r.selectivity[2] === 0); // shifted by its minimum (≈ −3): means ≈ 3 and 6 → ≈ 1/3
    assert.ok(r.sensitivity[0] > 0.7 && r.k !== null);
    assert.ok(r.summary.detectors >= 1 && r.summary.uniqueByCategory[0] === 1);
    const chance = chanceDetectors({ units: 64, h: 1, w: 1 }, probe);
    assert.ok(chance.detectors < 32, `chance detectors ${chance.detectors} of 64`);
  });
});
