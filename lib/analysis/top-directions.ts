/**
 * A layer's k leading centred directions in datapoint space, exact, without a full eigendecomposition: the route is
 * picked per shape (DESIGN.md, svcca-k; docs/analysis.md, "Top directions").
 */
import { kernel, type Real } from './kernel';
import { blockSize, topEigenIterative, type Operator } from './partial-eigen';
import { RANK_RATIO } from './centre';

export interface TopDirections {
  /** d × m orthonormal rows (datapoint space), descending variance; d ≤ k, fewer when the layer's rank is lower. */
  basis: Float64Array;
  /** Their eigenvalues σ² of X_c X_cᵀ (descending, all above the rank cut). */
  values: Float64Array;
  d: number;
  /** Σ of every eigenvalue: ‖X_c‖²_F over the live neurons (the layer's total variance × m). */
  total: number;
  /** Which route computed them (bench and docs report it). */
  route: TopRoute;
}

/** 'gram-units' / 'gram-examples': the Gram on the smaller side, then its leading eigenpairs; 'iterate': X Xᵀ applied as two products, never formed. */
export type TopRoute = 'gram-units' | 'gram-examples' | 'iterate';

/** Expected operator applications of the iteration (measured 13–21 with the Chebyshev filter on power-law spectra, more on flat ones); sets where 'iterate' wins. */
const EXPECTED_APPLICATIONS = 30;

/** The route for a live block of n neurons × m datapoints and k directions: the cheaper in multiply–adds. */
export function topRoute(n: number, m: number, k: number): TopRoute {
  const s = Math.min(n, m),
    t = Math.max(n, m);
  const gram = (s * s * t) / 2;
  const iterate = EXPECTED_APPLICATIONS * 2 * n * m * blockSize(k, s);
  if (iterate < gram) return 'iterate';
  return n <= m ? 'gram-units' : 'gram-examples';
}

/**
 * The k leading directions of centred float64 rows (units × m; only the `kept` neurons are used). Exact: the
 * iteration stops at rounding-level residuals and falls back to a full decomposition if it does not get there.
 * `force` picks the route (tests); the units-side Gram is only used when n ≤ m.
 */
export function topDirections(rows: Float64Array, units: number, m: number, kept: Int32Array, k: number, force?: TopRoute): TopDirections {
  const n = kept.length;
  const x = n === units ? rows : keptRows(rows, m, kept);
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i] * x[i];
  const want = Math.min(k, n, m);
  if (n === 0 || want === 0 || !(total > 0)) return { basis: new Float64Array(0), values: new Float64Array(0), d: 0, total, route: 'gram-units' };
  const route = force ?? topRoute(n, m, want);
  const kern = kernel();
  let values: Float64Array, basis: Float64Array;
  if (route === 'iterate') {
    // S = X_cᵀ X_c on datapoint space: its eigenvectors are the basis itself.
    const apply: Operator = (q, count) => kern.mul(kern.cross(q, count, x, n, m), count, n, x, m);
    // Past s / (4·block) applications the iteration has cost what the Gram route would have.
    const budget = Math.max(EXPECTED_APPLICATIONS, Math.floor(Math.min(n, m) / (4 * blockSize(want, m))));
    const it = topEigenIterative(apply, m, want, budget);
    ({ values, vectors: basis } = it ?? leading(n <= m ? kern.gram(x, n, m) : kern.gramT(x, n, m), Math.min(n, m), want));
    if (!it && n <= m) basis = toDatapoints(x, n, m, basis, values, want);
  } else if (route === 'gram-units' && n <= m) {
    const top = leading(kern.gram(x, n, m), n, want);
    values = top.values;
    basis = toDatapoints(x, n, m, top.vectors, values, want);
  } else {
    ({ values, vectors: basis } = leading(kern.gramT(x, n, m), m, want));
  }
  let d = 0;
  while (d < want && values[d] > RANK_RATIO * values[0] && values[d] > 0) d++;
  return { basis: basis.subarray(0, d * m), values: values.slice(0, d), d, total, route };
}

/** The k leading directions of a layer held as its m × m datapoint Gram (CKA's form of a wide layer). */
export function topDirectionsOfGram(g: Float64Array, m: number, k: number): TopDirections {
  let total = 0;
  for (let i = 0; i < m; i++) total += g[i * m + i];
  const want = Math.min(k, m);
  const { values, vectors } = leading(g, m, want);
  let d = 0;
  while (d < want && values[d] > RANK_RATIO * values[0] && values[d] > 0) d++;
  return { basis: vectors.subarray(0, d * m), values: values.slice(0, d), d, total, route: 'gram-examples' };
}

/** The want leading eigenpairs of a Gram: iteration with the cost of a full decomposition as its budget, else a direct solver. */
function leading(s: Float64Array, n: number, want: number): { values: Float64Array; vectors: Float64Array } {
  const k = kernel();
  const budget = Math.max(EXPECTED_APPLICATIONS, Math.floor((2 * n) / blockSize(want, n)));
  const it = 3 * blockSize(want, n) < n ? topEigenIterative((q, count) => k.mul(q, count, n, s, n), n, want, budget) : null;
  // Not converged within the budget: LAPACK's index-range solver (dsyevr) on the native kernel, else the full one.
  return it ?? k.eigTop(s.slice(), n, want);
}

/** Datapoint-space basis from units-space eigenvectors: row i = v_iᵀ X_c / √λ_i (orthonormal). */
function toDatapoints(x: Float64Array, n: number, m: number, vectors: Float64Array, values: Float64Array, want: number): Float64Array {
  const scaled = vectors.slice(0, want * n);
  for (let i = 0; i < want; i++) {
    const s = values[i] > 0 ? 1 / Math.sqrt(values[i]) : 0;
    for (let j = i * n; j < (i + 1) * n; j++) scaled[j] *= s;
  }
  return kernel().mul(scaled, want, n, x, m);
}

/** The kept rows of a units × m matrix, contiguous. */
function keptRows(rows: Real, m: number, kept: Int32Array): Float64Array {
  const out = new Float64Array(kept.length * m);
  kept.forEach((u, i) => out.set(rows.subarray(u * m, (u + 1) * m), i * m));
  return out;
}
