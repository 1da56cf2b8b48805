/** Min/max decimation per pixel column for dense line series (uPlot's approach): spikes survive, cost stays O(n). */

/** Indices of the points worth drawing: all of them up to 2 points per column, else per column the min and the max (in index order) and the first non-finite point (so gaps still break the line). */
export function decimateMinMax(xs: ArrayLike<number>, ys: ArrayLike<number>, length: number, columns: number, x0?: number, x1?: number): Int32Array {
  const n = Math.min(length, xs.length, ys.length);
  const cols = Math.max(1, Math.floor(columns));
  if (n <= 2 * cols) return identity(n);
  const lo = x0 ?? xs[0];
  const hi = x1 ?? xs[n - 1];
  const span = hi - lo;
  if (!(span > 0)) return identity(n);
  const out = new Int32Array(3 * cols + 2);
  let count = 0;
  let bucket = -1;
  let minI = -1;
  let maxI = -1;
  let gapI = -1;
  const flush = () => {
    if (bucket < 0) return;
    const picks = [minI, maxI, gapI].filter((i) => i >= 0).sort((a, b) => a - b);
    let last = -1;
    for (const i of picks) if (i !== last) out[count++] = last = i;
  };
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const b = Math.min(cols - 1, Math.max(0, Math.floor(((x - lo) / span) * cols)));
    if (b !== bucket) {
      flush();
      if (count + 3 > out.length) break; // x not ascending: never write past the buffer
      bucket = b;
      minI = maxI = gapI = -1;
    }
    const y = ys[i];
    if (!Number.isFinite(y)) {
      if (gapI < 0) gapI = i;
      continue;
    }
    if (minI < 0 || y < ys[minI]) minI = i;
    if (maxI < 0 || y > ys[maxI]) maxI = i;
  }
  flush();
  return out.slice(0, count);
}

function identity(n: number): Int32Array {
  const out = new Int32Array(Math.max(0, n));
  for (let i = 0; i < out.length; i++) out[i] = i;
  return out;
}
