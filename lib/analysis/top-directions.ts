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
  /** Route 'iterate' only: false when the iteration gave up and the Gram route computed them. */
  converged?: boolean;
}

/** 'gram-units' / 'gram-examples': the Gram on the smaller side, then its leading eigenpairs; 'iterate': X Xᵀ applied as two products, never formed. */
export type TopRoute = 'gram-units' | 'gram-examples' | 'iterate';

/**
 * Operator applications the iteration needs (measured with the Chebyshev filter: 7 on a spectrum with a clear edge after
 * the k-th direction, 13 for σ_i ∝ i^-1, 21 for i^-0.5, 37 for i^-0.25). 'iterate' is tried where it can win, at this
 * count; it stops as soon as its residuals say it will not converge within the Gram route's cost.
 */
const FEWEST_APPLICATIONS = 8;
/** An application (two thin products streaming X) runs at about half the multiply–add rate of the Gram's dsyrk (measured here). */
const APPLICATION_PENALTY = 1.75;

/** Fewest applications the iteration on a formed Gram may use before LAPACK's solver takes over. */
const GRAM_BUDGET_MIN = 30;

/** Multiply–adds of the Gram route and of one application of the iteration, in dsyrk-equivalent units. */
function costs(n: number, m: number, k: number): { gram: number; application: number } {
  const s = Math.min(n, m),
    t = Math.max(n, m);
  return { gram: (s * s * t) / 2, application: APPLICATION_PENALTY * 2 * n * m * blockSize(k, s) };
}

/** The route for a live block of n neurons × m datapoints and k directions: the iteration where it can be the cheaper, else the Gram on the smaller side. */
export function topRoute(n: number, m: number, k: number): TopRoute {
  const { gram, application } = costs(n, m, k);
  if (FEWEST_APPLICATIONS * application < gram) return 'iterate';
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
  let converged: boolean | undefined;
  if (route === 'iterate') {
    // S = X_cᵀ X_c on datapoint space: its eigenvectors are the basis itself.
    const apply: Operator = (q, count) => kern.mul(kern.cross(q, count, x, n, m), count, n, x, m);
    // Past the Gram route's cost the iteration gives up (earlier when its residuals' decay predicts that), and the Gram route runs.
    const { gram, application } = costs(n, m, want);
    const it = topEigenIterative(apply, m, want, Math.max(FEWEST_APPLICATIONS, Math.floor(gram / application)));
    ({ values, vectors: basis } = it ?? leading(n <= m ? kern.gram(x, n, m) : kern.gramT(x, n, m), Math.min(n, m), want));
    if (!it && n <= m) basis = toDatapoints(x, n, m, basis, values, want);
    converged = it !== null;
  } else if (route === 'gram-units' && n <= m) {
    const top = leading(kern.gram(x, n, m), n, want);
    values = top.values;
    basis = toDatapoints(x, n, m, top.vectors, values, want);
  } else {
    ({ values, vectors: basis } = leading(kern.gramT(x, n, m), m, want));
  }
  let d = 0;
  while (d < want && values[d] > RANK_RATIO * values[0] && values[d] > 0) d++;
  return { basis: basis.subarray(0, d * m), values: values.slice(0, d), d, total, route, ...(converged === undefined ? {} : { converged }) };
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
  const budget = Math.max(GRAM_BUDGET_MIN, Math.floor((2 * n) / blockSize(want, n)));
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
