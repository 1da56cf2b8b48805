/** Blocked float64 matrix products in plain JavaScript (the portable kernel). */

const KB = 256; // datapoints per block: 8 rows × 256 doubles stay in L1.

/** out (ra × rb) += a bᵀ over columns [k0, k1) for rows i0..i1 × j0..j1, 4×4 register tiles. */
function tile(
  a: Float64Array,
  b: Float64Array,
  cols: number,
  out: Float64Array,
  rb: number,
  i0: number,
  i1: number,
  j0: number,
  j1: number,
  k0: number,
  k1: number,
  upper: boolean,
): void {
  for (let i = i0; i < i1; i += 4) {
    const ni = Math.min(4, i1 - i);
    for (let j = upper ? Math.max(j0, i - (i % 4)) : j0; j < j1; j += 4) {
      const nj = Math.min(4, j1 - j);
      if (ni === 4 && nj === 4) {
        const a0 = i * cols,
          a1 = a0 + cols,
          a2 = a1 + cols,
          a3 = a2 + cols;
        const b0 = j * cols,
          b1 = b0 + cols,
          b2 = b1 + cols,
          b3 = b2 + cols;
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0,
          c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0,
          c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let k = k0; k < k1; k++) {
          const x0 = a[a0 + k],
            x1 = a[a1 + k],
            x2 = a[a2 + k],
            x3 = a[a3 + k];
          const y0 = b[b0 + k],
            y1 = b[b1 + k],
            y2 = b[b2 + k],
            y3 = b[b3 + k];
          c00 += x0 * y0;
          c01 += x0 * y1;
          c02 += x0 * y2;
          c03 += x0 * y3;
          c10 += x1 * y0;
          c11 += x1 * y1;
          c12 += x1 * y2;
          c13 += x1 * y3;
          c20 += x2 * y0;
          c21 += x2 * y1;
          c22 += x2 * y2;
          c23 += x2 * y3;
          c30 += x3 * y0;
          c31 += x3 * y1;
          c32 += x3 * y2;
          c33 += x3 * y3;
        }
        let o = i * rb + j;
        out[o] += c00;
        out[o + 1] += c01;
        out[o + 2] += c02;
        out[o + 3] += c03;
        o += rb;
        out[o] += c10;
        out[o + 1] += c11;
        out[o + 2] += c12;
        out[o + 3] += c13;
        o += rb;
        out[o] += c20;
        out[o + 1] += c21;
        out[o + 2] += c22;
        out[o + 3] += c23;
        o += rb;
        out[o] += c30;
        out[o + 1] += c31;
        out[o + 2] += c32;
        out[o + 3] += c33;
      } else {
        for (let ii = i; ii < i + ni; ii++) {
          for (let jj = j; jj < j + nj; jj++) {
            let s = 0;
            const ao = ii * cols,
              bo = jj * cols;
            for (let k = k0; k < k1; k++) s += a[ao + k] * b[bo + k];
            out[ii * rb + jj] += s;
          }
        }
      }
    }
  }
}

/** a bᵀ for row-major a (ra × cols) and b (rb × cols). */
export function jsCross(a: Float64Array, ra: number, b: Float64Array, rb: number, cols: number): Float64Array {
  const out = new Float64Array(ra * rb);
  const IB = 64;
  for (let k0 = 0; k0 < cols; k0 += KB) {
    const k1 = Math.min(cols, k0 + KB);
    for (let i0 = 0; i0 < ra; i0 += IB) tile(a, b, cols, out, rb, i0, Math.min(ra, i0 + IB), 0, rb, k0, k1, false);
  }
  return out;
}

/** x xᵀ for row-major x (rows × cols): upper 4×4 tiles computed, then mirrored. */
export function jsGram(x: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * rows);
  const IB = 64;
  for (let k0 = 0; k0 < cols; k0 += KB) {
    const k1 = Math.min(cols, k0 + KB);
    for (let i0 = 0; i0 < rows; i0 += IB) tile(x, x, cols, out, rows, i0, Math.min(rows, i0 + IB), 0, rows, k0, k1, true);
  }
  for (let i = 0; i < rows; i++) for (let j = 0; j < i; j++) out[i * rows + j] = out[j * rows + i];
  return out;
}

/** a b for row-major a (ar × ac) and b (ac × bc): transposes b, then runs the tiled a bᵀ kernel. */
export function jsMul(a: Float64Array, ar: number, ac: number, b: Float64Array, bc: number): Float64Array {
  const bt = new Float64Array(ac * bc);
  for (let k = 0; k < ac; k++) for (let j = 0; j < bc; j++) bt[j * ac + k] = b[k * bc + j];
  return jsCross(a, ar, bt, bc, ac);
}
