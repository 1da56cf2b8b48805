/**
 * Symmetric eigendecomposition on the WebAssembly SIMD engine: Householder tridiagonalisation with each step's
 * rank-2 update fused with the next step's matrix–vector product (one pass over the trailing block per step),
 * divide and conquer on the tridiagonal (tridiag-dc.ts, its products in SIMD), and a SIMD back-transformation
 * of only the eigenvectors asked for.
 */
import { implicitQL, type Eigen } from '../js-eigen';
import { tridiagEigen } from '../tridiag-dc';
import { wasmMul, withWorkspace, type Workspace } from './engine';

/** Householder vector of row k over columns k+1..n−1, stored in place so that H = I − v vᵀ (‖v‖² = 2); sets d[k], e[k]. */
function house(f: Float64Array, row: number, k: number, n: number, d: Float64Array, e: Float64Array): void {
  let alpha = 0;
  for (let j = k + 1; j < n; j++) alpha += f[row + j] * f[row + j];
  alpha = Math.sqrt(alpha);
  d[k] = f[row + k];
  const x0 = f[row + k + 1];
  if (alpha === 0) {
    e[k] = 0;
    for (let j = k + 1; j < n; j++) f[row + j] = 0;
    return;
  }
  const a = x0 > 0 ? -alpha : alpha;
  e[k] = a;
  f[row + k + 1] = x0 - a;
  const scale = Math.SQRT2 / Math.sqrt(2 * (alpha * alpha - a * x0));
  for (let j = k + 1; j < n; j++) f[row + j] *= scale;
}

/** Reduces symmetric s (n × n at byte address sp, row stride n) to tridiagonal (d, e); row k keeps reflector k. */
function tridiagonalise(w: Workspace, sp: number, n: number, d: Float64Array, e: Float64Array): void {
  const ld = n * 8,
    wp = w.zeros(n),
    pp = w.zeros(n),
    zero = w.zeros(n);
  const f = w.f64,
    s0 = sp / 8,
    wo = wp / 8,
    po = pp / 8;
  const row = (k: number) => sp + k * ld;
  if (n >= 3) {
    house(f, s0, 0, n, d, e);
    w.fn.rank2dot(sp, ld, 1, n, 1, n - 1, zero, zero, row(0), pp);
  }
  for (let k = 0; k < n - 2; k++) {
    const v = s0 + k * n;
    let vp = 0;
    for (let i = k + 1; i < n; i++) vp += f[v + i] * f[po + i];
    const half = 0.5 * vp;
    for (let i = k + 1; i < n; i++) f[wo + i] = f[po + i] - half * f[v + i];
    // Row k+1 first (the next reflector comes from it), then the rest of the block fused with the next product.
    w.fn.rank2dot(sp, ld, k + 1, k + 2, k + 1, n - k - 1, row(k), wp, row(k), pp);
    if (k + 1 < n - 2) {
      house(f, s0 + (k + 1) * n, k + 1, n, d, e);
      w.fn.rank2dot(sp, ld, k + 2, n, k + 2, n - k - 2, row(k), wp, row(k + 1), pp);
    } else {
      w.fn.rank2dot(sp, ld, k + 2, n, k + 2, n - k - 2, row(k), wp, row(k), pp);
    }
  }
  if (n >= 2) {
    d[n - 2] = f[s0 + (n - 2) * n + n - 2];
    e[n - 2] = f[s0 + (n - 2) * n + n - 1];
  }
  d[n - 1] = f[s0 + n * n - 1];
  e[n - 1] = 0;
}

/** Eigenvalues only of symmetric s (n × n, not modified), descending. */
export function wasmEigvals(s: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n),
    e = new Float64Array(n);
  withWorkspace((w) => {
    const [sp] = w.put(s, 1, n * n);
    tridiagonalise(w, sp, n, d, e);
  });
  implicitQL(d, e, undefined, n);
  return d.sort().reverse();
}

/** Eigendecomposition of symmetric s (n × n): values descending, the first `want` (default all) eigenvector rows. */
export function wasmEigh(s: Float64Array, n: number, want = n): Eigen {
  const d = new Float64Array(n),
    e = new Float64Array(n);
  return withWorkspace((w) => {
    const [sp] = w.put(s, 1, n * n);
    tridiagonalise(w, sp, n, d, e);
    const t = tridiagEigen(d, e, n, wasmMul);
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = t.lam[n - 1 - i];
    const rows = Math.min(n, Math.max(0, want)),
      padded = (rows + 3) & ~3;
    const zp = w.zeros(padded * n),
      f = w.f64;
    for (let i = 0; i < rows; i++) f.set(t.u.subarray((n - 1 - i) * n, (n - i) * n), zp / 8 + i * n);
    if (n >= 3) for (let b = 0; b < padded; b += 4) w.fn.backtrans(sp, zp + b * n * 8, n * 8, n);
    const vectors = new Float64Array(n * n);
    vectors.set(w.f64.subarray(zp / 8, zp / 8 + rows * n));
    return { values, vectors };
  });
}
