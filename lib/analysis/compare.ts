/** Similarity of two prepared layers: one cross term shared by every asked metric. */
import { block, canonical, pwcca } from './cca';
import { AnalysisError } from './errors';
import { kernel } from './kernel';
import { directions, eigenRows } from './prepare';
import { resolveOptions } from './options';
import type { Metric, PreparedLayer, SimilarityOptions, SimilarityResult } from './types';
import { METRICS } from './types';

type CcaMetric = Exclude<Metric, 'cka'>;

/**
 * Q_aᵀQ_b restricted to the leading da, db directions. Data form: the whitening maps diag(λ^-½) V around the neuron
 * cross product, applied as V_a C V_bᵀ (two products, no transposed copies) and then the diagonal scalings.
 */
function whitenedCross(a: PreparedLayer, b: PreparedLayer, da: number, db: number, dataCross?: Float64Array): Float64Array {
  if (da * db === 0) return new Float64Array(0);
  const k = kernel(), m = a.examples;
  const ra = a.form === 'data' ? a.units : da;
  const rb = b.form === 'data' ? b.units : db;
  const cross = dataCross ?? k.cross(a.rows.subarray(0, ra * m), ra, b.rows.subarray(0, rb * m), rb, m);
  let left = cross;
  if (a.form === 'data') {
    left = k.mul(eigenRows(a, da), da, ra, cross, rb);
    for (let i = 0; i < da; i++) {
      const s = 1 / Math.sqrt(a.values[i]);
      for (let j = i * rb, end = j + rb; j < end; j++) left[j] *= s;
    }
  }
  if (b.form !== 'data') return left;
  // (da × rb)(db × rb)ᵀ, then scale column j by λ_j^-½.
  const out = k.cross(left, da, eigenRows(b, db), db, rb);
  const s = new Float64Array(db);
  for (let j = 0; j < db; j++) s[j] = 1 / Math.sqrt(b.values[j]);
  for (let i = 0; i < da; i++) for (let j = 0, o = i * db; j < db; j++) out[o + j] *= s[j];
  return out;
}

/** Linear CKA from the neuron cross product: ‖X_a X_bᵀ‖²_F / (‖X_a X_aᵀ‖_F ‖X_b X_bᵀ‖_F). */
function cka(a: PreparedLayer, b: PreparedLayer, cross: Float64Array): number {
  let ss = 0;
  for (const c of cross) ss += c * c;
  const den = a.gramNorm * b.gramNorm;
  return den > 0 ? ss / den : 0;
}

/** Every asked metric for one pair, computing the cross term once. */
export function compareMany(a: PreparedLayer, b: PreparedLayer, metrics: readonly Metric[], opts?: SimilarityOptions): SimilarityResult[] {
  if (a.examples !== b.examples) {
    throw new AnalysisError('SHAPE_MISMATCH', `layers have different datapoint counts (${a.examples} vs ${b.examples})`);
  }
  resolveOptions(opts);
  for (const x of metrics) {
    if (!METRICS.includes(x)) throw new AnalysisError('BAD_OPTION', `unknown metric "${String(x)}" (${METRICS.join(', ')})`);
  }
  const m = a.examples;
  let dataCross: Float64Array | undefined;
  if (metrics.includes('cka')) {
    if (a.form !== 'data' || b.form !== 'data') {
      throw new AnalysisError('SLIMMED', 'cka needs layers prepared or slimmed for cka');
    }
    dataCross = kernel().cross(a.rows, a.units, b.rows, b.units, m);
  }
  const cca = metrics.filter((x): x is CcaMetric => x !== 'cka');
  const need = cca.map((x) => [directions(a, x, opts), directions(b, x, opts)] as const);
  const da = Math.max(0, ...need.map((n) => n[0]));
  const db = Math.max(0, ...need.map((n) => n[1]));
  const reuse = a.form === 'data' && b.form === 'data' ? dataCross : undefined;
  const full = cca.length ? whitenedCross(a, b, da, db, reuse) : new Float64Array(0);
  return metrics.map((metric): SimilarityResult => {
    if (metric === 'cka') return { metric, value: cka(a, b, dataCross as Float64Array) };
    const [ka, kb] = need[cca.indexOf(metric)];
    const mab = ka === da && kb === db ? full : block(full, db, ka, kb);
    if (metric === 'pwcca') return { metric, value: pwcca(a, b, mab, ka, kb) };
    const { rho } = canonical(mab, ka, kb);
    const value = rho.length ? rho.reduce((s, r) => s + r, 0) / rho.length : 0;
    return { metric, value, k: [ka, kb], rho };
  });
}

/** One metric between two prepared layers; costs only the cross term. */
export function compare(a: PreparedLayer, b: PreparedLayer, metric: Metric, opts?: SimilarityOptions): SimilarityResult {
  return compareMany(a, b, [metric], opts)[0];
}
