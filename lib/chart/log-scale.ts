/** Log axes: which points a log axis can show, domains widened to whole decades, and ticks at the decades. */
import type { Domain } from './scales';

/** A series with the points a log axis cannot show (x ≤ 0 on a log x axis, y ≤ 0 on a log y axis) left out. */
export interface LogFiltered {
  xs: Float64Array;
  ys: Float64Array;
  length: number;
  /** Points left out because a log axis cannot place them (non-finite y are kept: they are gaps, not values). */
  dropped: number;
  /** The `extra` arrays (e.g. the smoothed series), gathered at the points kept. */
  extra: Float64Array[];
}

/** Keeps the points both axes can place (judged on the raw x and y); counts the finite ones a log axis cannot (values ≤ 0). */
export function logFilter(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  length: number,
  logX: boolean,
  logY: boolean,
  extra: ReadonlyArray<ArrayLike<number>> = [],
): LogFiltered {
  const n = Math.min(length, xs.length, ys.length);
  const ox = new Float64Array(n);
  const oy = new Float64Array(n);
  const oe = extra.map(() => new Float64Array(n));
  let m = 0;
  let dropped = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    if ((logX && !(x > 0)) || (logY && y <= 0)) {
      dropped++;
      continue;
    }
    ox[m] = x;
    oy[m] = y;
    for (let e = 0; e < extra.length; e++) oe[e][m] = extra[e][i];
    m++;
  }
  return { xs: ox.subarray(0, m), ys: oy.subarray(0, m), length: m, dropped, extra: oe.map((a) => a.subarray(0, m)) };
}

/** The smallest domain of whole decades holding a positive extent: [10^⌊log10 lo⌋, 10^⌈log10 hi⌉] (one decade at least). */
export function decadeDomain(extent: Domain | null, fallback: Domain = [1, 10]): Domain {
  if (!extent || !(extent[0] > 0) || !(extent[1] > 0)) return fallback;
  const a = Math.floor(Math.log10(extent[0]) + 1e-12);
  let b = Math.ceil(Math.log10(extent[1]) - 1e-12);
  if (b <= a) b = a + 1;
  return [decade(a), decade(b)];
}

/** 10^e, exact for the decades (10 ** -3 is 0.0010000000000000002 in floating point; 1 / 1000 is not). */
export function decade(e: number): number {
  return e < 0 ? 1 / 10 ** -e : 10 ** e;
}

/** Tick values at the decades inside the domain; every 2nd, 3rd… decade when more than `maxTicks` would fit. */
export function decadeTicks(domain: Domain, maxTicks = 6): number[] {
  const [lo, hi] = domain[0] <= domain[1] ? domain : [domain[1], domain[0]];
  if (!(lo > 0) || !(hi > 0)) return [];
  const a = Math.ceil(Math.log10(lo) - 1e-12);
  const b = Math.floor(Math.log10(hi) + 1e-12);
  const every = Math.max(1, Math.ceil((b - a + 1) / Math.max(1, maxTicks)));
  const out: number[] = [];
  for (let e = a; e <= b; e++) if ((e - a) % every === 0) out.push(decade(e));
  return out;
}

/** A decade's label: plain digits from 0.001 to 10000, else 1e-5, 1e6. */
export function formatDecade(v: number): string {
  const e = Math.round(Math.log10(v));
  if (!Number.isFinite(e)) return '–';
  return e >= -3 && e <= 4 ? String(decade(e)) : `1e${e}`;
}
