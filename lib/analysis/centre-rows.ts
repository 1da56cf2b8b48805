/** The centring loop of the portable kernel (no imports: the kernel and centre.ts both use it). */

/**
 * Centres each row of `data` (rows × m) into `out` and writes each row's sum of squares (from the float64 difference,
 * before any float32 rounding of `out`). Sums run in four lanes (j mod 4), combined as (s0 + s1) + (s2 + s3): four
 * independent chains are faster than one and no less accurate; the native kernel's C loop uses the same order, so
 * both produce the same bits. Returns -1, or the first row whose sum is not finite (rows after it are not written).
 */
export function centreRows(data: Float32Array | Float64Array, rows: number, m: number, out: Float32Array | Float64Array, sumsq: Float64Array): number {
  const tail = m - (m % 4);
  for (let u = 0; u < rows; u++) {
    const o = u * m,
      end = o + tail;
    let s0 = 0,
      s1 = 0,
      s2 = 0,
      s3 = 0,
      j = o;
    for (; j < end; j += 4) {
      s0 += data[j];
      s1 += data[j + 1];
      s2 += data[j + 2];
      s3 += data[j + 3];
    }
    for (; j < o + m; j++) s0 += data[j];
    const sum = s0 + s1 + (s2 + s3);
    if (!Number.isFinite(sum)) return u;
    let mean = sum / m;
    // Second pass corrects the mean for rounding in the first (never Σx² − mμ²).
    s0 = 0;
    s1 = 0;
    s2 = 0;
    s3 = 0;
    for (j = o; j < end; j += 4) {
      s0 += data[j] - mean;
      s1 += data[j + 1] - mean;
      s2 += data[j + 2] - mean;
      s3 += data[j + 3] - mean;
    }
    for (; j < o + m; j++) s0 += data[j] - mean;
    mean += (s0 + s1 + (s2 + s3)) / m;
    s0 = 0;
    s1 = 0;
    s2 = 0;
    s3 = 0;
    for (j = o; j < end; j += 4) {
      const x0 = data[j] - mean,
        x1 = data[j + 1] - mean,
        x2 = data[j + 2] - mean,
        x3 = data[j + 3] - mean;
      out[j] = x0;
      out[j + 1] = x1;
      out[j + 2] = x2;
      out[j + 3] = x3;
      s0 += x0 * x0;
      s1 += x1 * x1;
      s2 += x2 * x2;
      s3 += x3 * x3;
    }
    for (; j < o + m; j++) {
      const x = data[j] - mean;
      out[j] = x;
      s0 += x * x;
    }
    sumsq[u] = s0 + s1 + (s2 + s3);
  }
  return -1;
}
