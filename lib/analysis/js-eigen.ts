/** Symmetric eigendecomposition in plain JavaScript: Householder tridiagonalisation, implicit QL, back-transformation, all on contiguous rows. */

export interface Eigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** n × n row-major; row i is the unit eigenvector of values[i]. */
  vectors: Float64Array;
}

/** Reduces symmetric s (n × n, overwritten) to tridiagonal d, e; row k of s keeps Householder vector k (scaled so that H = I − v vᵀ). */
function tridiagonalise(s: Float64Array, n: number, d: Float64Array, e: Float64Array): void {
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const row = k * n;
    let alpha = 0;
    for (let j = k + 1; j < n; j++) alpha += s[row + j] * s[row + j];
    alpha = Math.sqrt(alpha);
    d[k] = s[row + k];
    const x0 = s[row + k + 1];
    if (alpha === 0) {
      e[k] = 0;
      for (let j = k + 1; j < n; j++) s[row + j] = 0;
      continue;
    }
    const a = x0 > 0 ? -alpha : alpha; // reflect onto a·e1, sign chosen to avoid cancellation
    e[k] = a;
    s[row + k + 1] = x0 - a; // v = x − a e1, ‖v‖² = 2(α² − a x0)
    const scale = Math.sqrt(2 * (alpha * alpha - a * x0));
    for (let j = k + 1; j < n; j++) s[row + j] /= scale;
    for (let j = k + 1; j < n; j++) s[row + j] *= Math.SQRT2; // now H = I − v vᵀ with ‖v‖² = 2
    // p = A22 v; w = p − ½(vᵀp) v; A22 ← A22 − v wᵀ − w vᵀ (symmetric rank-2 update, rows contiguous)
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let acc = 0;
      const ri = i * n;
      for (let j = k + 1; j < n; j++) acc += s[ri + j] * s[row + j];
      p[i] = acc;
      vp += acc * s[row + i];
    }
    const half = 0.5 * vp;
    for (let i = k + 1; i < n; i++) p[i] -= half * s[row + i];
    for (let i = k + 1; i < n; i++) {
      const ri = i * n,
        vi = s[row + i],
        wi = p[i];
      for (let j = k + 1; j < n; j++) s[ri + j] -= vi * p[j] + wi * s[row + j];
    }
  }
  if (n >= 2) {
    d[n - 2] = s[(n - 2) * n + n - 2];
    e[n - 2] = s[(n - 2) * n + n - 1];
  }
  d[n - 1] = s[n * n - 1];
  e[n - 1] = 0;
  for (let k = n - 2; k < n; k++) if (k >= 0) for (let j = k + 1; j < n; j++) s[k * n + j] = 0;
}

/** Applies one QL sweep's rotations (rows m−1 down to l) to z, a column block at a time (kept out of the sweep so V8 optimises it alone). */
function rotate(z: Float64Array, n: number, l: number, m: number, cs: Float64Array, sn: Float64Array): void {
  for (let i = m - 1; i >= l; i--) {
    const c = cs[i],
      s = sn[i],
      ri = i * n,
      rj = ri + n;
    for (let k = 0; k < n; k++) {
      const zk1 = z[rj + k],
        zk = z[ri + k];
      z[rj + k] = s * zk + c * zk1;
      z[ri + k] = c * zk - s * zk1;
    }
  }
}

/** Implicit QL on tridiagonal (d, e); z rows are the eigenvectors in the tridiagonal basis (rotations touch two contiguous rows). */
export function implicitQL(d: Float64Array, e: Float64Array, z: Float64Array | undefined, n: number): void {
  let f = 0,
    tst1 = 0;
  const cs = new Float64Array(n),
    sn = new Float64Array(n);
  const eps = 2 ** -52;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > eps * tst1) m++;
    if (m > l) {
      let iter = 0;
      do {
        if (++iter > 60) throw new Error('eigensolver did not converge');
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        p = d[m];
        let c = 1,
          c2 = 1,
          c3 = 1,
          s = 0,
          s2 = 0;
        const el1 = e[l + 1];
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          cs[i] = c;
          sn[i] = s;
        }
        if (z) rotate(z, n, l, m, cs, sn);
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/** Back-transforms the eigenvectors (rows of z): y ← H_0 ⋯ H_{n−3} y, four vectors per pass over each reflector. */
function backTransform(s: Float64Array, z: Float64Array, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const y0 = i * n,
      y1 = y0 + n,
      y2 = y1 + n,
      y3 = y2 + n;
    for (let k = n - 3; k >= 0; k--) {
      const v = k * n;
      let d0 = 0,
        d1 = 0,
        d2 = 0,
        d3 = 0;
      for (let j = k + 1; j < n; j++) {
        const vj = s[v + j];
        d0 += vj * z[y0 + j];
        d1 += vj * z[y1 + j];
        d2 += vj * z[y2 + j];
        d3 += vj * z[y3 + j];
      }
      for (let j = k + 1; j < n; j++) {
        const vj = s[v + j];
        z[y0 + j] -= d0 * vj;
        z[y1 + j] -= d1 * vj;
        z[y2 + j] -= d2 * vj;
        z[y3 + j] -= d3 * vj;
      }
    }
  }
  for (; i < n; i++) {
    const y = i * n;
    for (let k = n - 3; k >= 0; k--) {
      const v = k * n;
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += s[v + j] * z[y + j];
      for (let j = k + 1; j < n; j++) z[y + j] -= dot * s[v + j];
    }
  }
}

/** Eigenvalues only of symmetric s (n × n, overwritten), descending: QL without accumulating vectors. */
export function jsEigvals(s: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n),
    e = new Float64Array(n);
  tridiagonalise(s, n, d, e);
  implicitQL(d, e, undefined, n);
  return d.sort().reverse();
}

/** Eigendecomposition of symmetric s (n × n row-major, overwritten). */
export function jsEigh(s: Float64Array, n: number): Eigen {
  const d = new Float64Array(n),
    e = new Float64Array(n);
  tridiagonalise(s, n, d, e);
  const z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  implicitQL(d, e, z, n);
  backTransform(s, z, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => d[b] - d[a]);
  const values = new Float64Array(n),
    vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    values[dst] = d[src];
    vectors.set(z.subarray(src * n, src * n + n), dst * n);
  });
  return { values, vectors };
}
