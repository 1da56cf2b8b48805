/** One layer's cached decomposition: centred neurons, the covariance eigensystem of the live ones, and slimmed forms. */
import { centre, liveNeurons } from './centre';
import { AnalysisError } from './errors';
import { kernel } from './kernel';
import { keepForVariance, resolveOptions } from './options';
import type { Activations, Metric, PreparedLayer, SimilarityOptions } from './types';
import { METRICS } from './types';

/** Eigenvalues at or below this fraction of the largest are numerically zero (DESIGN.md, PWCCA). */
export const RANK_RATIO = 1e-12;

/**
 * Centres, filters dead neurons and eigendecomposes the layer's covariance; `eigen: false` skips the eigensystem (CKA only),
 * `keepPrecision: false` stores float32 input centred as float64 (faster for a one-off comparison, twice the memory).
 */
export function prepareLayer(acts: Activations, label = 'layer', eigen = true, keepPrecision = true): PreparedLayer {
  const { rows, sumsq } = centre(acts, label, keepPrecision);
  const { units, examples } = acts;
  const k = kernel();
  const gram = k.gram(rows, units, examples);
  let ss = 0;
  for (let i = 0; i < gram.length; i++) ss += gram[i] * gram[i];
  const gramNorm = Math.sqrt(ss);
  const kept = liveNeurons(sumsq);
  const base = { form: 'data' as const, units, examples, rows, rowCount: units, kept, gramNorm };
  if (!eigen || kept.length === 0) {
    const metrics: Metric[] = eigen ? [...METRICS] : ['cka'];
    return { ...base, values: new Float64Array(0), vectors: new Float64Array(0), metrics };
  }
  const n = kept.length;
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

/** Computes one layer's cached decomposition, once per checkpoint. */
export function prepare(acts: Activations): PreparedLayer {
  return prepareLayer(acts);
}

/** The smallest prepared form of a layer that answers `metric` (CKA skips the eigendecomposition it does not use). */
export function prepareFor(acts: Activations, metric: Metric, opts?: SimilarityOptions): PreparedLayer {
  return metric === 'cka' ? prepareLayer(acts, 'layer', false) : slim(prepareLayer(acts), metric, opts);
}

/** Numerical rank of the layer's live neurons. */
export function rankOf(p: PreparedLayer): number {
  return p.values.length;
}

/** Directions of `p` that `metric` uses (svcca: 99% rule; svcca-k: min(k, rank); pwcca: rank); throws SLIMMED when a slimmed layer lacks them. */
export function directions(p: PreparedLayer, metric: Exclude<Metric, 'cka'>, opts?: SimilarityOptions): number {
  const { k, threshold } = resolveOptions(opts);
  const rank = rankOf(p);
  const d = metric === 'svcca' ? keepForVariance(p.values, threshold) : metric === 'svcca-k' ? Math.min(k, rank) : rank;
  if (p.form === 'basis' && (d > p.rowCount || (metric === 'pwcca' && p.vectors.length === 0))) {
    throw new AnalysisError('SLIMMED', `layer was slimmed for ${p.metrics.join(', ')}; it cannot answer ${metric} with these options`);
  }
  return d;
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
