/** A growable (x, y) series in typed arrays: appends are amortised O(1) and charts read it without copying. */

export interface SeriesBuffer {
  xs: Float64Array;
  ys: Float64Array;
  length: number;
}

/** An empty series with room for `capacity` points. */
export function createSeries(capacity = 64): SeriesBuffer {
  return { xs: new Float64Array(capacity), ys: new Float64Array(capacity), length: 0 };
}

/** Appends points (null becomes NaN, a gap); a point whose x is not after the last one replaces from that x on (a resumed run re-logs steps). */
export function appendPoints(s: SeriesBuffer, xs: readonly number[], ys: ReadonlyArray<number | null>): void {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    while (s.length > 0 && s.xs[s.length - 1] >= x) s.length--;
    if (s.length === s.xs.length) grow(s);
    s.xs[s.length] = x;
    s.ys[s.length] = ys[i] ?? NaN;
    s.length++;
  }
}

/** A series built from the wire form (steps and values as parallel arrays). */
export function seriesFrom(xs: readonly number[], ys: ReadonlyArray<number | null>): SeriesBuffer {
  const s = createSeries(Math.max(64, xs.length * 2));
  appendPoints(s, xs, ys);
  return s;
}

function grow(s: SeriesBuffer): void {
  const xs = new Float64Array(s.xs.length * 2);
  xs.set(s.xs);
  const ys = new Float64Array(s.ys.length * 2);
  ys.set(s.ys);
  s.xs = xs;
  s.ys = ys;
}
