/** Similarity of two prepared layers: one cross term shared by every asked metric. */
import { block, canonical, pwcca } from './cca';
import { ckaRoute, crossNormSquared } from './cka';
import { AnalysisError } from './errors';
import { kernel } from './kernel';
import { directionsOf, eigenRows } from './prepare';
import { ckaFromSketches, sketchOfPrepared } from './sketch';
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
  const k = kernel(),
    m = a.examples;
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
  const sketched = a.sketch !== undefined || b.sketch !== undefined;
  let dataCross: Float64Array | undefined;
  let ckaValue: number | undefined;
  if (metrics.includes('cka')) {
    if (sketched) {
      const K = Math.min(a.sketch ?? Infinity, b.sketch ?? Infinity);
      ckaValue = ckaFromSketches(sketchOfPrepared(a, K), sketchOfPrepared(b, K));
    } else {
      if (a.form === 'basis' || b.form === 'basis') throw new AnalysisError('SLIMMED', 'cka needs layers prepared or slimmed for cka');
      const den = a.gramNorm * b.gramNorm;
      const others = metrics.some((x) => x !== 'cka');
      // A layer against itself: the numerator is the denominator, ‖X_cᵀX_c‖²_F (the diagonal of a "to newest" column).
      if (a === b && !others) ckaValue = den > 0 ? 1 : 0;
      else {
        if (ckaRoute(a, b) === 'cross') dataCross = kernel().cross(a.rows, a.units, b.rows, b.units, m);
        ckaValue = den > 0 ? crossNormSquared(a, b, dataCross) / den : 0;
      }
    }
  }
  const cca = metrics.filter((x): x is CcaMetric => x !== 'cka');
  const need = cca.map((x) => [directionsOf(a, x, opts), directionsOf(b, x, opts)] as const);
  const da = Math.max(0, ...need.map((n) => n[0].d));
  const db = Math.max(0, ...need.map((n) => n[1].d));
  const reuse = a.form === 'data' && b.form === 'data' ? dataCross : undefined;
  const full = cca.length ? whitenedCross(a, b, da, db, reuse) : new Float64Array(0);
  return metrics.map((metric): SimilarityResult => {
    if (metric === 'cka') return { metric, value: ckaValue as number, ...(sketched ? { approximate: true } : {}) };
    const [sa, sb] = need[cca.indexOf(metric)];
    const ka = sa.d,
      kb = sb.d;
    const mab = ka === da && kb === db ? full : block(full, db, ka, kb);
    if (metric === 'pwcca') return { metric, value: pwcca(a, b, mab, ka, kb) };
    const { rho } = canonical(mab, ka, kb);
    const value = rho.length ? rho.reduce((s, r) => s + r, 0) / rho.length : 0;
    return { metric, value, k: [ka, kb], rho, ...(sa.capped || sb.capped ? { capped: true } : {}) };
  });
}

/** One metric between two prepared layers; costs only the cross term. */
export function compare(a: PreparedLayer, b: PreparedLayer, metric: Metric, opts?: SimilarityOptions): SimilarityResult {
  return compareMany(a, b, [metric], opts)[0];
}
