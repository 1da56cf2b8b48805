/**
 * The leading eigenpairs of a symmetric positive semi-definite operator without a full eigendecomposition:
 * Chebyshev-filtered block subspace iteration with Rayleigh–Ritz (Zhou & Saad 2007), stopped only when every wanted
 * Ritz pair's residual is at rounding level, so the pairs are as exact as a full decomposition's. The operator is a
 * function, so the same iteration runs on a Gram matrix or on X Xᵀ applied as two products with X.
 */
import { kernel } from './kernel';
import { Rng } from '../random';

/** A Ritz pair is converged when ‖S v − θ v‖ ≤ RESIDUAL_TOL × θ_1 (θ_1 = ‖S‖₂): rounding level for float64 products. */
export const RESIDUAL_TOL = 1e-11;

/** S applied to the rows of q (count × n): returns the count × n rows (S q_i)ᵀ. */
export type Operator = (q: Float64Array, count: number) => Float64Array;

export interface TopEigen {
  /** The `count` largest eigenvalues, descending. */
  values: Float64Array;
  /** count × n, row i the unit eigenvector of values[i]. */
  vectors: Float64Array;
  count: number;
  /** Operator applications used; 0 when the caller's fallback ran. */
  applications: number;
}

/** Rows of the iteration block for `want` pairs: room for the next directions, which sets the convergence rate. */
export function blockSize(want: number, n: number): number {
  return Math.min(n, want + Math.max(8, want));
}

/**
 * The `want` largest eigenpairs of the PSD operator `apply` on R^n, or null when `maxApplications` did not reach
 * convergence, or when the residuals' geometric decay so far says they will not reach rounding level within it (the
 * caller then decomposes fully, so a slow spectrum costs a few applications, not the whole budget). Deterministic:
 * the start block comes from a fixed seed.
 */
export function topEigenIterative(apply: Operator, n: number, want: number, maxApplications: number): TopEigen | null {
  const count = Math.max(0, Math.min(want, n));
  const block = blockSize(count, n);
  const rng = new Rng(0x5eed);
  let q: Float64Array = new Float64Array(block * n);
  for (let i = 0; i < q.length; i++) q[i] = rng.normal();
  orthonormalRows(q, block, n, rng);
  let applications = 0;
  let degree = 2;
  let before: { worst: number; applications: number } | null = null;
  for (;;) {
    const y = apply(q, block);
    applications++;
    const { theta, ritz, sRitz } = rayleighRitz(q, y, block, n);
    const worst = worstResidual(ritz, sRitz, theta, count, n);
    if (worst <= 1) return { values: theta.slice(0, count), vectors: ritz.slice(0, count * n), count, applications };
    if (applications + degree > maxApplications || !(worst < Infinity)) return null;
    if (before && applications >= PREDICT_AFTER && predictedApplications(before, worst, applications) > PREDICT_SLACK * maxApplications) return null;
    before = { worst, applications };
    // Damp [0, θ_last] (the unwanted part of the spectrum, as far as the block knows it); grow the degree as the block settles.
    q = chebyshev(apply, ritz, sRitz, block, n, theta[block - 1], theta[0], degree);
    applications += degree - 1;
    degree = Math.min(8, degree + 2);
    orthonormalRows(q, block, n, rng);
  }
}

/** Ritz values (descending), Ritz vectors and their images for the orthonormal block q and y = S q. */
function rayleighRitz(q: Float64Array, y: Float64Array, block: number, n: number): { theta: Float64Array; ritz: Float64Array; sRitz: Float64Array } {
  const k = kernel();
  const h = k.cross(q, block, y, block, n);
  for (let i = 0; i < block; i++) {
    for (let j = 0; j < i; j++) {
      const v = (h[i * block + j] + h[j * block + i]) / 2;
      h[i * block + j] = v;
      h[j * block + i] = v;
    }
  }
  const { values: theta, vectors: u } = k.eigh(h, block);
  return { theta, ritz: k.mul(u, block, block, q, n), sRitz: k.mul(u, block, block, y, n) };
}

/** Applications after which the residuals' decay rate is trusted to predict the rest (two filtered rounds). */
const PREDICT_AFTER = 6;
/** The prediction gives up only past this multiple of the budget: the filter's degree still grows, so early rates understate it. */
const PREDICT_SLACK = 1.5;

/** Applications the iteration will have used when the worst residual reaches rounding level, at the decay rate since `before`. */
function predictedApplications(before: { worst: number; applications: number }, worst: number, applications: number): number {
  const perApplication = Math.log(worst / before.worst) / (applications - before.applications);
  if (!(perApplication < 0)) return Infinity;
  return applications + Math.log(worst) / -perApplication;
}

/**
 * The largest residual ‖S v_i − θ_i v_i‖ of the wanted Ritz pairs in units of RESIDUAL_TOL × θ_1: at most 1 means every
 * pair is at rounding level relative to the largest Ritz value (converged); NaN counts as not converged.
 */
function worstResidual(ritz: Float64Array, sRitz: Float64Array, theta: Float64Array, count: number, n: number): number {
  const bound = RESIDUAL_TOL * Math.abs(theta[0]);
  let worst = 0;
  for (let i = 0; i < count; i++) {
    let ss = 0;
    for (let j = i * n, end = j + n; j < end; j++) {
      const r = sRitz[j] - theta[i] * ritz[j];
      ss += r * r;
    }
    const ratio = Math.sqrt(ss) / bound;
    if (!(ratio <= worst)) worst = Number.isNaN(ratio) ? Infinity : Math.max(worst, ratio);
  }
  return worst;
}

/**
 * The scaled Chebyshev filter of `degree` on [0, upper] (Zhou & Saad's three-term recurrence, normalised at `top`),
 * started from x with its image sx already known (one application saved). Directions with eigenvalues above `upper`
 * grow like T_d((2λ − upper)/upper) against the damped ones: far faster than plain powers when the gap is small.
 */
function chebyshev(apply: Operator, x: Float64Array, sx: Float64Array, block: number, n: number, upper: number, top: number, degree: number): Float64Array {
  const e = upper / 2;
  const c = upper / 2;
  if (!(e > 0) || !(top > upper)) return sx.slice();
  let sigma = e / (top - c);
  const tau = 2 / sigma;
  // y1 = (σ/e)(S − cI) x
  let prev: Float64Array = x;
  let cur: Float64Array = new Float64Array(block * n);
  for (let i = 0; i < cur.length; i++) cur[i] = (sigma / e) * (sx[i] - c * x[i]);
  for (let d = 2; d <= degree; d++) {
    const next = 1 / (tau - sigma);
    const s = apply(cur, block);
    const out = new Float64Array(block * n);
    for (let i = 0; i < out.length; i++) out[i] = ((2 * next) / e) * (s[i] - c * cur[i]) - sigma * next * prev[i];
    prev = cur;
    cur = out;
    sigma = next;
  }
  return cur;
}

/**
 * Orthonormal rows spanning those of x (rows × n), in place: each row scaled to unit length, then Cholesky QR twice on
 * the kernel (rows² · n multiply–adds); when the block is numerically rank deficient (S has fewer than `rows` nonzero
 * eigenvalues), modified Gram–Schmidt with random rows for the vanished ones.
 */
export function orthonormalRows(x: Float64Array, rows: number, n: number, rng: Rng): void {
  for (let i = 0; i < rows; i++) {
    const s = norm(x, i * n, n);
    if (s > 0) for (let t = i * n; t < (i + 1) * n; t++) x[t] /= s;
  }
  for (let pass = 0; pass < 2; pass++) {
    const r = choleskyInverse(kernel().gram(x, rows, n), rows);
    if (!r) return gramSchmidt(x, rows, n, rng);
    x.set(kernel().mul(r, rows, rows, x, n));
  }
}

/** L⁻¹ for the Cholesky factor L (lower) of g = L Lᵀ, or null when g is not safely positive definite. */
function choleskyInverse(g: Float64Array, n: number): Float64Array | null {
  const l = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let d = g[j * n + j];
    for (let k = 0; k < j; k++) d -= l[j * n + k] * l[j * n + k];
    if (!(d > 1e-10)) return null;
    const ljj = Math.sqrt(d);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = g[i * n + j];
      for (let k = 0; k < j; k++) s -= l[i * n + k] * l[j * n + k];
      l[i * n + j] = s / ljj;
    }
  }
  const inv = new Float64Array(n * n);
  for (let c = 0; c < n; c++) {
    for (let i = c; i < n; i++) {
      let s = i === c ? 1 : 0;
      for (let k = c; k < i; k++) s -= l[i * n + k] * inv[k * n + c];
      inv[i * n + c] = s / l[i * n + i];
    }
  }
  return inv;
}

/** Modified Gram–Schmidt, twice per row; a row that vanishes against the earlier ones is replaced by a random one. */
function gramSchmidt(x: Float64Array, rows: number, n: number, rng: Rng): void {
  for (let i = 0; i < rows; i++) {
    const o = i * n;
    for (let attempt = 0; attempt < 4; attempt++) {
      const before = norm(x, o, n);
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          const p = j * n;
          let d = 0;
          for (let t = 0; t < n; t++) d += x[p + t] * x[o + t];
          for (let t = 0; t < n; t++) x[o + t] -= d * x[p + t];
        }
      }
      const after = norm(x, o, n);
      if (after > 1e-8 * before && after > 0) {
        for (let t = 0; t < n; t++) x[o + t] /= after;
        break;
      }
      for (let t = 0; t < n; t++) x[o + t] = rng.normal();
    }
  }
}

function norm(x: Float64Array, o: number, n: number): number {
  let s = 0;
  for (let t = o; t < o + n; t++) s += x[t] * x[t];
  return Math.sqrt(s);
}
