/** One layer's cached decomposition: centred neurons, the covariance eigensystem of the live ones, and slimmed forms. */
import { centre, liveNeurons, RANK_RATIO, validate } from './centre';
import { frobenius, prepareCka } from './cka';
import { AnalysisError } from './errors';
import { kernel, type Real } from './kernel';
import { keepForVariance, resolveOptions } from './options';
import { topDirections } from './top-directions';
import { scratchFloat64 } from './workspace';
import type { Activations, Metric, PreparedLayer, SimilarityOptions } from './types';
import { METRICS } from './types';

export { RANK_RATIO } from './centre';

/**
 * Centres, filters dead neurons and eigendecomposes the layer's covariance; `eigen: false` skips the eigensystem (CKA only),
 * `keepPrecision: false` stores float32 input centred as float64 (faster for a one-off comparison, twice the memory).
 */
export function prepareLayer(acts: Activations, label = 'layer', eigen = true, keepPrecision = true): PreparedLayer {
  const { rows, sumsq } = centre(acts, label, keepPrecision);
  const { units, examples } = acts;
  const k = kernel();
  // The Gram on the smaller side: ‖X Xᵀ‖_F = ‖Xᵀ X‖_F, and both hold the same nonzero eigenvalues.
  const unitsSide = units <= examples;
  const gram = unitsSide ? k.gram(rows, units, examples) : k.gramT(rows, units, examples);
  const gramNorm = frobenius(gram);
  const kept = liveNeurons(sumsq);
  const base = { form: 'data' as const, units, examples, rows, rowCount: units, kept, gramNorm };
  if (!eigen || kept.length === 0) {
    const metrics: Metric[] = eigen ? [...METRICS] : ['cka'];
    return { ...base, values: new Float64Array(0), vectors: new Float64Array(0), metrics };
  }
  const n = kept.length;
  if (n > examples) return { ...base, ...eigenFromExamples(rows, units, examples, kept, n === units ? gram : null), metrics: [...METRICS] };
  let sub = gram;
  if (n < units) {
    sub = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) sub[i * n + j] = gram[kept[i] * units + kept[j]];
  }
  const { values, vectors } = k.eigh(sub, n);
  let rank = 0;
  while (rank < n && values[rank] > RANK_RATIO * values[0] && values[rank] > 0) rank++;
  // Full rank (the usual case) keeps the arrays as they are; otherwise copies, so the n × n buffer is not kept alive.
  const full = rank === n;
  return { ...base, values: full ? values : values.slice(0, rank), vectors: full ? vectors : vectors.slice(0, rank * n), metrics: [...METRICS] };
}

/**
 * More live neurons than datapoints: the eigensystem from the m × m datapoint Gram K = X_kᵀX_k (eigenvectors w_i), and the
 * neuron-space eigenvectors the other metrics use as v_i = X_k w_i / σ_i (rank ≤ m − 1 after centring).
 */
function eigenFromExamples(rows: Real, units: number, m: number, kept: Int32Array, gram: Float64Array | null): { values: Float64Array; vectors: Float64Array } {
  const k = kernel();
  const n = kept.length;
  let x: Real = rows;
  if (n < units) {
    const compact = new Float64Array(n * m);
    kept.forEach((u, i) => compact.set(rows.subarray(u * m, (u + 1) * m), i * m));
    x = compact;
  }
  const { values, vectors: w } = k.eigh(gram ?? k.gramT(x, n, m), m); // the caller is done with `gram`
  let rank = 0;
  while (rank < m && values[rank] > RANK_RATIO * values[0] && values[rank] > 0) rank++;
  const vectors = k.cross(w.subarray(0, rank * m), rank, x, n, m);
  for (let i = 0; i < rank; i++) {
    const s = 1 / Math.sqrt(values[i]);
    for (let j = i * n; j < (i + 1) * n; j++) vectors[j] *= s;
  }
  return { values: values.slice(0, rank), vectors };
}

/** Computes one layer's cached decomposition, once per checkpoint. */
export function prepare(acts: Activations): PreparedLayer {
  return prepareLayer(acts);
}

/**
 * The smallest prepared form of a layer that answers `metric`: CKA skips the eigendecomposition it does not use (and its
 * Gram when `known.gramNorm` is given), and svcca-k computes only its k leading directions (prepareTop).
 */
export function prepareFor(acts: Activations, metric: Metric, opts?: SimilarityOptions, known?: { gramNorm?: number }): PreparedLayer {
  if (metric === 'cka') return prepareCka(acts, 'layer', true, known?.gramNorm);
  if (metric === 'svcca-k') return prepareTop(acts, resolveOptions(opts).k);
  return slim(prepareLayer(acts), metric, opts);
}

/**
 * A layer's k leading directions only (what svcca-k uses), by the cheaper exact route for its shape
 * (top-directions.ts): no full eigendecomposition. The basis is stored in the input's precision.
 */
export function prepareTop(acts: Activations, k: number, label = 'layer'): PreparedLayer {
  validate(acts, label);
  const { units, examples } = acts;
  // The centred copy is only read here: a reused scratch array, not a fresh one per layer (workspace.ts).
  const { rows, sumsq } = centre(acts, label, false, scratchFloat64(units * examples));
  const kept = liveNeurons(sumsq);
  const top = topDirections(rows as Float64Array, units, examples, kept, k);
  const basis = acts.data instanceof Float32Array ? Float32Array.from(top.basis) : top.basis.slice();
  return {
    form: 'basis',
    units,
    examples,
    rows: basis,
    rowCount: top.d,
    kept,
    values: top.values,
    vectors: new Float64Array(0),
    gramNorm: Number.NaN,
    metrics: ['svcca-k'],
    total: top.total,
  };
}

/** Numerical rank of the layer's live neurons. */
export function rankOf(p: PreparedLayer): number {
  return p.values.length;
}

/** Directions of `p` that `metric` uses (svcca: 99% rule; svcca-k: min(k, rank); pwcca: rank); throws SLIMMED when a slimmed layer lacks them. */
export function directions(p: PreparedLayer, metric: Exclude<Metric, 'cka'>, opts?: SimilarityOptions): number {
  return directionsOf(p, metric, opts).d;
}

/**
 * Directions `metric` uses on `p`, and whether they were capped: a sketch answers with the K it holds when the metric
 * wants more (`capped`); any other layer that lacks them throws SLIMMED. PWCCA on a sketch throws NEEDS_RAW.
 */
export function directionsOf(p: PreparedLayer, metric: Exclude<Metric, 'cka'>, opts?: SimilarityOptions): { d: number; capped: boolean } {
  const { k, threshold } = resolveOptions(opts);
  const held = rankOf(p);
  if (metric === 'pwcca' && p.sketch !== undefined) {
    throw new AnalysisError(
      'NEEDS_RAW',
      'pwcca needs raw activations: a sketch keeps only the top-K directions, and PWCCA weights every direction by its projection on each neuron',
    );
  }
  if (!p.metrics.includes(metric)) throw new AnalysisError('SLIMMED', `layer was prepared for ${p.metrics.join(', ')}; it cannot answer ${metric}`);
  const partial = isPartial(p);
  let d = metric === 'svcca' ? keepForVariance(p.values, threshold, p.total) : metric === 'svcca-k' ? Math.min(k, partial ? Infinity : held) : held;
  let capped = false;
  if (d > held || (metric === 'pwcca' && partial)) {
    if (p.sketch === undefined)
      throw new AnalysisError('SLIMMED', `layer holds its ${held} leading directions only; it cannot answer ${metric} with these options`);
    d = held;
    capped = true;
  }
  if (p.form === 'basis' && (d > p.rowCount || (metric === 'pwcca' && p.vectors.length === 0))) {
    throw new AnalysisError('SLIMMED', `layer was slimmed for ${p.metrics.join(', ')}; it cannot answer ${metric} with these options`);
  }
  return { d, capped };
}

/** True when `values` holds only the leading directions and the rest carry variance (the layer's rank is above them). */
export function isPartial(p: PreparedLayer): boolean {
  if (p.total === undefined) return false;
  let held = 0;
  for (const v of p.values) held += v;
  return p.total - held > 1e-10 * p.total;
}

/** Leading d covariance eigenvectors of a data-form layer as d × units rows (a view when every neuron is live). */
export function eigenRows(p: PreparedLayer, d: number): Float64Array {
  const n = p.kept.length;
  if (n === p.units) return p.vectors.subarray(0, d * n);
  const t = new Float64Array(d * p.units);
  for (let i = 0; i < d; i++) for (let j = 0; j < n; j++) t[i * p.units + p.kept[j]] = p.vectors[i * n + j];
  return t;
}

/** Whitening map of a data-form layer: d × units, row i = v_i / √λ_i scattered onto the live neurons. */
export function whitening(p: PreparedLayer, d: number): Float64Array {
  const rows = eigenRows(p, d);
  const t = rows.buffer === p.vectors.buffer ? rows.slice() : rows;
  for (let i = 0; i < d; i++) {
    const s = 1 / Math.sqrt(p.values[i]);
    for (let j = i * p.units, end = j + p.units; j < end; j++) t[j] *= s;
  }
  return t;
}

/** Smallest form that still answers `metric`: CKA keeps the centred neurons; the CCA metrics keep only their orthonormal datapoint-space basis. */
export function slim(p: PreparedLayer, metric: Metric, opts?: SimilarityOptions): PreparedLayer {
  if (metric === 'cka') {
    if (p.form !== 'data') throw new AnalysisError('SLIMMED', `layer was slimmed for ${p.metrics.join(', ')}; it cannot answer cka`);
    return { ...p, values: new Float64Array(0), vectors: new Float64Array(0), metrics: ['cka'] };
  }
  if (!p.metrics.includes(metric) && p.form === 'data') {
    throw new AnalysisError('SLIMMED', `layer was prepared for ${p.metrics.join(', ')}; it cannot answer ${metric}`);
  }
  const d = directions(p, metric, opts);
  const m = p.examples;
  let basis: Float64Array;
  if (p.form === 'basis') basis = Float64Array.from(p.rows.subarray(0, d * m));
  else basis = kernel().mul(whitening(p, d), d, p.units, p.rows, m);
  const rows = p.rows instanceof Float32Array ? Float32Array.from(basis) : basis;
  const vectors = metric === 'pwcca' ? p.vectors : new Float64Array(0);
  return { ...p, form: 'basis', rows, rowCount: d, vectors, metrics: [metric] };
}

/** Bytes held by a prepared layer's arrays (what the live server pays to keep it). */
export function preparedBytes(p: PreparedLayer): number {
  return p.rows.byteLength + p.kept.byteLength + p.values.byteLength + p.vectors.byteLength + 64;
}
