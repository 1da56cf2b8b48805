/** Scale helpers for the charts: extents over typed arrays, padded domains, nearest-point lookup and number formats. */
import { format, tickFormat } from 'd3';

export type Domain = [number, number];

/** Min and max of the finite values among the first `length` entries, or null when there are none. */
export function finiteExtent(values: ArrayLike<number>, length = values.length, from = 0): Domain | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = from; i < length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Union of extents, ignoring nulls. */
export function unionExtent(extents: ReadonlyArray<Domain | null>): Domain | null {
  let out: Domain | null = null;
  for (const e of extents) if (e) out = out ? [Math.min(out[0], e[0]), Math.max(out[1], e[1])] : [e[0], e[1]];
  return out;
}

/** A domain widened by `pad` of its span on both sides; a single value gets a window of ±10% around it (±1 around 0). */
export function paddedDomain(extent: Domain | null, pad = 0.05, fallback: Domain = [0, 1]): Domain {
  if (!extent) return fallback;
  const [lo, hi] = extent;
  if (lo === hi) {
    const d = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  return [lo - d, hi + d];
}

/** Value spans below this share of the values' magnitude are drawn flat: 308.132–308.142 MiB of memory is not a rise. */
const FLAT_SPAN = 1e-4;

/** A value axis's domain: paddedDomain, except that values differing by less than FLAT_SPAN of their magnitude are one value (noise is not drawn as a trend). */
export function valueDomain(extent: Domain | null, pad = 0.05): Domain {
  if (!extent) return paddedDomain(extent, pad);
  const [lo, hi] = extent;
  const flat = hi - lo <= FLAT_SPAN * Math.max(Math.abs(lo), Math.abs(hi));
  return flat ? paddedDomain([(lo + hi) / 2, (lo + hi) / 2], pad) : paddedDomain(extent, pad);
}

/** Index of the x nearest to `x` in ascending `xs` (binary search), or -1 for an empty series. */
export function nearestIndex(xs: ArrayLike<number>, length: number, x: number): number {
  if (length <= 0) return -1;
  let lo = 0;
  let hi = length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return Math.abs(xs[hi] - x) < Math.abs(xs[lo] - x) ? hi : lo;
}

const siFormat = format('~s');
const fixedFormat = format('.4~r');
const smallFormat = format('.3~e');

/** A step count for axes and readouts: 950, 1.2k, 35k, 1.5M. */
export function formatStep(step: number): string {
  if (!Number.isFinite(step)) return '–';
  return Math.abs(step) < 1000 ? String(Math.round(step)) : siFormat(step).replace('G', 'B');
}

/** A measured value with four significant digits; tiny or huge magnitudes in exponent form. */
export function formatValue(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return smallFormat(v);
  return fixedFormat(v);
}

/** A duration in ms as "35 ms", "1.2 s", "3 min". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '–';
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** A tick label formatter for a domain: d3's precision for the tick step, in exponent form for tiny or huge magnitudes (learning rates read 5e-4, not 0.0005). */
export function tickFormatter(domain: Domain, count: number): (v: number) => string {
  const m = Math.max(Math.abs(domain[0]), Math.abs(domain[1]));
  const f = tickFormat(domain[0], domain[1], count, m !== 0 && (m < 1e-2 || m >= 1e6) ? '~e' : '~f');
  return (v) => f(v);
}

/** An axis's tick values: d3's nice ticks, only the integers among them for whole-number quantities (steps, k), so a narrow domain never reads "0 0 0 1 1 1". */
export function axisTicks(scale: { ticks(count: number): number[] }, count: number, integer = false): number[] {
  const ticks = scale.ticks(count);
  return integer ? ticks.filter((t) => Number.isInteger(t)) : ticks;
}
