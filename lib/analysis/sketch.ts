/**
 * Sketches: a layer reduced where its activations are (the trainer's device) to its top-K centred directions in
 * datapoint space, their singular values and its exact total variance. svcca-k (k ≤ K) is exact from them, SVCCA's
 * 99% rule when its k fits in K, CKA only approximately (the rank-K truncations); PWCCA needs raw activations.
 */
import { centre, liveNeurons, validate } from './centre';
import { AnalysisError } from './errors';
import { kernel } from './kernel';
import { topDirections, topDirectionsOfGram } from './top-directions';
import type { Activations, PreparedLayer } from './types';
import { scratchFloat64 } from './workspace';

export interface Sketch {
  units: number;
  examples: number;
  /** K × m orthonormal rows (datapoint space), descending singular value. */
  basis: Float32Array | Float64Array;
  /** σ_i of the centred layer, descending, one per basis row. */
  singular: ArrayLike<number>;
  /** ‖X_c‖²_F = Σ of every σ² (not only the K held), over the live neurons. */
  total: number;
}

/** Rows of a sketch whose norm or mutual dot product is off by more than this are refused (BAD_SKETCH). */
const ORTHONORMAL_TOL = 1e-3;

/** The sketch of a layer, computed as the trainer's client computes it (K leading directions, float32 basis). */
export function sketchActivations(acts: Activations, K: number): Sketch {
  if (!Number.isInteger(K) || K < 1) throw new AnalysisError('BAD_OPTION', `sketch size must be a positive integer, got ${K}`);
  validate(acts);
  const { rows, sumsq } = centre(acts, 'layer', false, scratchFloat64(acts.units * acts.examples));
  const top = topDirections(rows as Float64Array, acts.units, acts.examples, liveNeurons(sumsq), K);
  return { units: acts.units, examples: acts.examples, basis: Float32Array.from(top.basis), singular: Array.from(top.values, Math.sqrt), total: top.total };
}

/** Throws BAD_SKETCH naming what is wrong: shapes, non-finite or unordered singular values, a total below them, rows that are not orthonormal. */
export function validateSketch(s: Sketch, label = 'sketch'): void {
  const K = s.singular.length;
  const m = s.examples;
  const bad = (why: string) => new AnalysisError('BAD_SKETCH', `${label}: ${why}`);
  if (!(K >= 1) || !(m >= 2) || s.basis.length !== K * m) throw bad(`basis holds ${s.basis.length} values for ${K} directions × ${m} examples`);
  let held = 0;
  for (let i = 0; i < K; i++) {
    const v = s.singular[i];
    if (!Number.isFinite(v) || v < 0) throw bad(`singular value ${i} is ${v}`);
    if (i > 0 && v > s.singular[i - 1] * (1 + 1e-9)) throw bad('singular values are not in descending order');
    held += v * v;
  }
  if (!Number.isFinite(s.total) || s.total < held * (1 - 1e-6))
    throw bad(`total variance ${s.total} is below the sum of the squared singular values (${held})`);
  const g = kernel().gram(s.basis, K, m);
  for (let i = 0; i < K; i++) {
    for (let j = 0; j <= i; j++) {
      const want = i === j ? 1 : 0;
      if (!(Math.abs(g[i * K + j] - want) <= ORTHONORMAL_TOL)) throw bad(`basis rows ${j} and ${i} are not orthonormal (dot ${g[i * K + j]})`);
    }
  }
}

/** A sketch as a prepared layer: svcca-k and svcca (k capped at K when they want more) and approximate CKA. */
export function prepareSketch(s: Sketch): PreparedLayer {
  const K = s.singular.length;
  const values = Float64Array.from(s.singular, (v) => v * v);
  let fourth = 0;
  for (const v of values) fourth += v * v;
  return {
    form: 'basis',
    units: s.units,
    examples: s.examples,
    rows: s.basis,
    rowCount: K,
    kept: new Int32Array(0),
    values,
    vectors: new Float64Array(0),
    gramNorm: Math.sqrt(fourth),
    metrics: ['svcca-k', 'svcca', 'cka'],
    total: s.total,
    sketch: K,
  };
}

/** A raw layer's CKA form (centred neurons, or its datapoint Gram) reduced to a K-direction sketch, so it can meet a sketch in CKA. */
export function sketchOfPrepared(p: PreparedLayer, K: number): PreparedLayer {
  if (p.sketch !== undefined) return p;
  if (p.form === 'basis') throw new AnalysisError('SLIMMED', 'a slimmed layer cannot be reduced to a sketch');
  const rows = p.rows instanceof Float64Array ? p.rows : Float64Array.from(p.rows);
  const top = p.form === 'gram' ? topDirectionsOfGram(rows, p.examples, K) : topDirections(rows, p.units, p.examples, p.kept, K);
  return prepareSketch({ units: p.units, examples: p.examples, basis: top.basis, singular: Array.from(top.values, Math.sqrt), total: top.total });
}

/**
 * CKA of the two layers' rank-K truncations: ‖Σ_a Q_a Q_bᵀ Σ_b‖²_F / (‖Σ_a²‖_F ‖Σ_b²‖_F). It weights each direction by σ⁴,
 * so the leading ones dominate even more than in the variance; docs/analysis.md gives its measured error.
 */
export function ckaFromSketches(a: PreparedLayer, b: PreparedLayer): number {
  const ka = a.rowCount,
    kb = b.rowCount,
    m = a.examples;
  if (ka === 0 || kb === 0) return 0;
  const cross = kernel().cross(a.rows.subarray(0, ka * m), ka, b.rows.subarray(0, kb * m), kb, m);
  let num = 0;
  for (let i = 0; i < ka; i++) for (let j = 0; j < kb; j++) num += a.values[i] * b.values[j] * cross[i * kb + j] ** 2;
  const den = a.gramNorm * b.gramNorm;
  return den > 0 ? num / den : 0;
}
