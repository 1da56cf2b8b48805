/**
 * Cuppen's divide and conquer for the symmetric tridiagonal eigenproblem (the LAPACK dstedc/dlaed0–dlaed4 scheme):
 * split, solve both halves, merge through the rank-one secular equation with deflation, and form the vectors with
 * Gu–Eisenstat's recomputed z so they stay orthogonal. O(n²) work per merge apart from one structured matrix product,
 * which the caller supplies (WebAssembly SIMD or plain JS), instead of QL's ~6n³ scalar rotations.
 */
import { implicitQL } from './js-eigen';

/** a b for a (ar × ac), b (ac × bc), row-major. */
export type Gemm = (a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number) => Float64Array;

/** Below this size a block is solved by implicit QL. */
const SMALL = 32;
const EPS = 2 ** -53;

interface Sub {
  /** Eigenvalues, ascending. */
  lam: Float64Array;
  /** m × m, row i = unit eigenvector of lam[i]. */
  u: Float64Array;
}

/** Eigenvalues (ascending) and eigenvector rows of the tridiagonal (d, e), e[i] coupling i and i+1 (e[n−1] ignored). */
export function tridiagEigen(d: Float64Array, e: Float64Array, n: number, gemm: Gemm): Sub {
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]), i < n - 1 ? Math.abs(e[i]) : 0);
  if (scale === 0 || !Number.isFinite(scale)) {
    const u = new Float64Array(n * n);
    for (let i = 0; i < n; i++) u[i * n + i] = 1;
    return { lam: Float64Array.from(d.subarray(0, n)), u };
  }
  const ds = new Float64Array(n),
    es = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ds[i] = d[i] / scale;
    es[i] = i < n - 1 ? e[i] / scale : 0;
  }
  const out = solve(ds, es, n, gemm);
  for (let i = 0; i < n; i++) out.lam[i] *= scale;
  return out;
}

function solve(d: Float64Array, e: Float64Array, m: number, gemm: Gemm): Sub {
  if (m <= SMALL) return small(d, e, m);
  const m1 = m >> 1,
    m2 = m - m1;
  const beta = e[m1 - 1],
    r0 = Math.abs(beta),
    sigma = beta < 0 ? -1 : 1;
  const d1 = d.slice(0, m1),
    d2 = d.slice(m1, m);
  d1[m1 - 1] -= r0;
  d2[0] -= r0;
  const e1 = e.slice(0, m1),
    e2 = e.slice(m1, m);
  e1[m1 - 1] = 0;
  const left = solve(d1, e1, m1, gemm),
    right = solve(d2, e2, m2, gemm);
  return merge(left, right, m1, m2, r0, sigma, gemm);
}

function small(d: Float64Array, e: Float64Array, m: number): Sub {
  const dd = d.slice(0, m),
    ee = e.slice(0, m);
  ee[m - 1] = 0;
  const z = new Float64Array(m * m);
  for (let i = 0; i < m; i++) z[i * m + i] = 1;
  implicitQL(dd, ee, z, m);
  return sorted(dd, z, m);
}

/** Sorts eigenpairs ascending. */
function sorted(values: Float64Array, rows: Float64Array, m: number): Sub {
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const lam = new Float64Array(m),
    u = new Float64Array(m * m);
  order.forEach((src, dst) => {
    lam[dst] = values[src];
    u.set(rows.subarray(src * m, src * m + m), dst * m);
  });
  return { lam, u };
}

/** Eigensystem of diag(T1, T2) + r0 (e_k + σ e_{k+1})(…)ᵀ from those of T1 (m1) and T2 (m2). */
function merge(left: Sub, right: Sub, m1: number, m2: number, r0: number, sigma: number, gemm: Gemm): Sub {
  const m = m1 + m2;
  // D and z = Qᵀu / √2 (‖z‖ = 1), ρ = 2 r0; sorted ascending.
  const dRaw = new Float64Array(m),
    zRaw = new Float64Array(m);
  for (let i = 0; i < m1; i++) {
    dRaw[i] = left.lam[i];
    zRaw[i] = left.u[i * m1 + m1 - 1] * Math.SQRT1_2;
  }
  for (let i = 0; i < m2; i++) {
    dRaw[m1 + i] = right.lam[i];
    zRaw[m1 + i] = sigma * right.u[i * m2] * Math.SQRT1_2;
  }
  const rho = 2 * r0;
  const order = Array.from({ length: m }, (_, i) => i).sort((a, b) => dRaw[a] - dRaw[b]);
  const ds = new Float64Array(m),
    zs = new Float64Array(m),
    type = new Uint8Array(m);
  // q: row i = eigenvector (in the merged coordinates) belonging to ds[i].
  const q = new Float64Array(m * m);
  let dmax = 0,
    zmax = 0;
  order.forEach((src, i) => {
    ds[i] = dRaw[src];
    zs[i] = zRaw[src];
    if (src < m1) {
      type[i] = 1;
      q.set(left.u.subarray(src * m1, src * m1 + m1), i * m);
    } else {
      type[i] = 2;
      q.set(right.u.subarray((src - m1) * m2, (src - m1) * m2 + m2), i * m + m1);
    }
    dmax = Math.max(dmax, Math.abs(ds[i]));
    zmax = Math.max(zmax, Math.abs(zs[i]));
  });
  const tol = 8 * EPS * Math.max(dmax, zmax);
  // Deflation (dlaed2): negligible z components, then nearly equal poles rotated together.
  const keep: number[] = [],
    gone: number[] = [];
  let pj = -1;
  for (let j = 0; j < m; j++) {
    if (rho * Math.abs(zs[j]) <= tol) {
      gone.push(j);
      continue;
    }
    if (pj < 0) {
      pj = j;
      continue;
    }
    let s = zs[pj],
      c = zs[j];
    const tau = Math.hypot(c, s),
      t = ds[j] - ds[pj];
    c /= tau;
    s = -s / tau;
    if (Math.abs(t * c * s) <= tol) {
      zs[j] = tau;
      zs[pj] = 0;
      const x = pj * m,
        y = j * m;
      for (let k = 0; k < m; k++) {
        const qx = q[x + k],
          qy = q[y + k];
        q[x + k] = c * qx + s * qy;
        q[y + k] = c * qy - s * qx;
      }
      type[pj] = type[j] = type[pj] | type[j];
      const dp = ds[pj] * c * c + ds[j] * s * s;
      ds[j] = ds[pj] * s * s + ds[j] * c * c;
      ds[pj] = dp;
      gone.push(pj);
    } else {
      keep.push(pj);
    }
    pj = j;
  }
  if (pj >= 0) keep.push(pj);

  const lam = new Float64Array(m),
    u = new Float64Array(m * m);
  const k = keep.length;
  if (k > 0) {
    const dk = Float64Array.from(keep, (i) => ds[i]),
      zk = Float64Array.from(keep, (i) => zs[i]);
    const { origin, tau } = secularRoots(dk, zk, rho, k);
    // delta[j*k + i] = d_i − λ_j, computed from the nearer pole so it keeps its relative accuracy.
    const delta = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      const o = dk[origin[j]],
        t = tau[j];
      for (let i = 0; i < k; i++) delta[j * k + i] = dk[i] - o - t;
    }
    // Gu–Eisenstat: the z for which the computed λ are exact, so the vectors are orthogonal.
    const zh = new Float64Array(k);
    for (let i = 0; i < k; i++) {
      let w = -delta[i * k + i];
      for (let j = 0; j < k; j++) if (j !== i) w *= delta[j * k + i] / (dk[i] - dk[j]);
      zh[i] = Math.sign(zk[i]) * Math.sqrt(Math.abs(w) / rho);
    }
    // W (k × k): row j = normalised eigenvector of D + ρ ẑẑᵀ for λ_j.
    const wv = new Float64Array(k * k);
    for (let j = 0; j < k; j++) {
      let ss = 0;
      for (let i = 0; i < k; i++) {
        const v = zh[i] / delta[j * k + i];
        wv[j * k + i] = v;
        ss += v * v;
      }
      const inv = 1 / Math.sqrt(ss);
      for (let i = 0; i < k; i++) wv[j * k + i] *= inv;
      lam[j] = dk[origin[j]] + tau[j];
    }
    // Vectors: W · q[keep], split by column block (rows from T1 are zero on T2's columns and vice versa).
    for (const [blk, c0, cn] of [
      [1, 0, m1],
      [2, m1, m2],
    ] as const) {
      const rows = keep.map((idx, pos) => [idx, pos] as const).filter(([idx]) => type[idx] & blk);
      const r = rows.length;
      if (r === 0) continue;
      const wa = new Float64Array(k * r),
        qb = new Float64Array(r * cn);
      for (let j = 0; j < k; j++) for (let t = 0; t < r; t++) wa[j * r + t] = wv[j * k + rows[t][1]];
      rows.forEach(([idx], t) => qb.set(q.subarray(idx * m + c0, idx * m + c0 + cn), t * cn));
      const prod = gemm(wa, k, r, qb, cn);
      for (let j = 0; j < k; j++) u.set(prod.subarray(j * cn, j * cn + cn), j * m + c0);
    }
  }
  gone.forEach((idx, t) => {
    lam[k + t] = ds[idx];
    u.set(q.subarray(idx * m, idx * m + m), (k + t) * m);
  });
  return sorted(lam, u, m);
}

/**
 * Roots of 1 + ρ Σ z_i² / (d_i − λ) (d ascending, distinct, ρ > 0), one in each (d_j, d_{j+1}) and the last in
 * (d_k, d_k + ρ‖z‖²]. Each root is λ_j = d[origin_j] + tau_j with origin the nearer pole. Safeguarded rational
 * (Bunch–Nielsen–Sorensen) iteration inside a bisection bracket.
 */
export function secularRoots(d: Float64Array, z: Float64Array, rho: number, k: number): { origin: Int32Array; tau: Float64Array } {
  const origin = new Int32Array(k),
    tau = new Float64Array(k);
  const z2 = new Float64Array(k);
  let zz = 0;
  for (let i = 0; i < k; i++) {
    z2[i] = rho * z[i] * z[i];
    zz += z2[i];
  }
  const delta = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    let o: number, lo: number, hi: number;
    if (j < k - 1) {
      const mid = 0.5 * (d[j + 1] - d[j]);
      let f = 1;
      for (let i = 0; i < k; i++) f += z2[i] / (d[i] - d[j] - mid);
      if (f >= 0) {
        o = j;
        lo = 0;
        hi = mid;
      } else {
        o = j + 1;
        lo = -mid;
        hi = 0;
      }
    } else {
      o = j;
      lo = 0;
      hi = zz;
    }
    const dor = d[o];
    for (let i = 0; i < k; i++) delta[i] = d[i] - dor;
    // Split point: poles ≤ j on the left of the interval, > j on the right.
    let t = o === j ? 0.5 * hi : 0.5 * lo;
    for (let iter = 0; iter < 400; iter++) {
      let psi = 0,
        dpsi = 0,
        phi = 0,
        dphi = 0,
        absum = 0;
      for (let i = 0; i <= j; i++) {
        const r = 1 / (delta[i] - t),
          v = z2[i] * r;
        psi += v;
        dpsi += v * r;
        absum -= v;
      }
      for (let i = j + 1; i < k; i++) {
        const r = 1 / (delta[i] - t),
          v = z2[i] * r;
        phi += v;
        dphi += v * r;
        absum += v;
      }
      const g = 1 + psi + phi;
      if (g > 0) hi = t;
      else if (g < 0) lo = t;
      else break;
      if (Math.abs(g) <= 8 * EPS * (1 + absum)) break;
      if (!(hi - lo > 4 * EPS * Math.max(Math.abs(lo), Math.abs(hi)))) break;
      // Rational model: c + q/(Δj − η) + s/(Δj+1 − η) with Δ = pole − t, matching ψ, ψ' and φ, φ' at t.
      const aj = delta[j] - t,
        q = dpsi * aj * aj;
      let next = NaN;
      if (j < k - 1) {
        const bj = delta[j + 1] - t,
          s = dphi * bj * bj;
        const c = 1 + (psi - q / aj) + (phi - s / bj);
        const A = c,
          B = c * (aj + bj) + q + s,
          C = c * aj * bj + q * bj + s * aj;
        const disc = B * B - 4 * A * C;
        if (disc >= 0) {
          const Q = 0.5 * (B + (B >= 0 ? 1 : -1) * Math.sqrt(disc));
          for (const eta of [Q / A, C / Q]) if (Number.isFinite(eta) && t + eta > lo && t + eta < hi) next = t + eta;
        }
      } else {
        const c = 1 + (psi - q / aj) + phi;
        const eta = aj + q / c;
        if (Number.isFinite(eta) && t + eta > lo && t + eta < hi) next = t + eta;
      }
      if (!(next > lo && next < hi) || next === t) next = 0.5 * (lo + hi);
      if (next === lo || next === hi) break;
      t = next;
    }
    origin[j] = o;
    tau[j] = t;
  }
  return { origin, tau };
}
