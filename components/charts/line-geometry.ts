/**
 * The drawing of a line chart, computed (no DOM): scales (linear, or log with decade ticks), and per series the raw
 * path, the smoothed path and the min/max band, with the points a log axis cannot show left out and counted.
 */
import { area, curveLinear, curveStepAfter, line, scaleLinear, scaleLog, type ScaleLinear, type ScaleLogarithmic } from 'd3';
import { DEFAULT_CHART, type ChartSettings } from '@/lib/chart/chart-settings';
import { decimateMinMax } from '@/lib/chart/decimate';
import { decadeDomain, decadeTicks, logFilter } from '@/lib/chart/log-scale';
import { finiteExtent, paddedDomain, unionExtent, valueDomain, type Domain } from '@/lib/chart/scales';
import { emaDebiased, minMaxEnvelope, smoothingSpan } from '@/lib/chart/smoothing';

export interface GeometrySeries {
  id: string;
  colour: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  length: number;
}

export type AxisScale = ScaleLinear<number, number> | ScaleLogarithmic<number, number>;

export interface SeriesPaths {
  id: string;
  colour: string;
  /** The raw series (drawn faint under a smoothed one). */
  raw: string;
  smooth: string | null;
  band: string | null;
  /** Points drawn of the raw series (after the log filter). */
  shown: number;
}

export interface LineGeometry {
  x: AxisScale;
  y: AxisScale;
  /** Decade ticks of a log axis (undefined: the scale's own ticks). */
  xTicks?: number[];
  yTicks?: number[];
  paths: SeriesPaths[];
  /** Per series id, the smoothed values at the series' own indices (for readouts and data export). */
  smoothed: Map<string, Float64Array>;
  /** Points no log axis could show (values ≤ 0), over all series. */
  dropped: number;
}

interface Options {
  width: number;
  height: number;
  curve: 'linear' | 'step';
  xDomain?: Domain;
  yDomain?: Domain;
  settings?: ChartSettings;
}

/** Min and max of the positive finite values (what a log axis can place), or null. */
function positiveExtent(values: ArrayLike<number>): Domain | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > 0 && v < Infinity) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/** Scales and paths for the series under the settings. */
export function lineGeometry(series: readonly GeometrySeries[], o: Options): LineGeometry {
  const st = o.settings ?? DEFAULT_CHART;
  const w = st.smoothing;
  const smoothed = new Map<string, Float64Array>();
  let dropped = 0;
  const prepared = series.map((s) => {
    const sm = w > 0 ? emaDebiased(s.ys, s.length, w) : null;
    if (sm) smoothed.set(s.id, sm);
    const env = sm && st.band ? minMaxEnvelope(s.ys, s.length, smoothingSpan(w)) : null;
    const f = logFilter(
      s.xs,
      s.ys,
      s.length,
      st.logX,
      st.logY,
      [sm, env?.lo, env?.hi].filter((a): a is Float64Array => a !== null && a !== undefined),
    );
    dropped += f.dropped;
    return { s, f, sm: sm ? f.extra[0] : null, lo: env ? f.extra[1] : null, hi: env ? f.extra[2] : null };
  });

  let x: AxisScale;
  let xTicks: number[] | undefined;
  if (st.logX) {
    const xd = decadeDomain(unionExtent(prepared.map((p) => positiveExtent(p.f.xs))));
    x = scaleLog().domain(xd).range([0, o.width]);
    xTicks = decadeTicks(xd, Math.max(3, Math.floor(o.width / 60)));
  } else {
    const xe = unionExtent(series.map((s) => finiteExtent(s.xs, s.length)));
    // x is a training step: never below 0 (a single checkpoint at step 0 gets the window [0, 1], not [-1, 1]).
    const xp = o.xDomain ?? paddedDomain(xe, 0, [0, 1]);
    x = scaleLinear()
      .domain(xe && xe[0] >= 0 && xp[0] < 0 ? [0, Math.max(xp[1], 1)] : xp)
      .range([0, o.width]);
  }
  let y: AxisScale;
  let yTicks: number[] | undefined;
  if (st.logY) {
    const yd = decadeDomain(unionExtent(prepared.flatMap((p) => [positiveExtent(p.f.ys), p.sm ? positiveExtent(p.sm) : null])));
    y = scaleLog().domain(yd).range([o.height, 0]);
    yTicks = decadeTicks(yd, Math.max(3, Math.floor(o.height / 20)));
  } else {
    const ys = scaleLinear()
      .domain(o.yDomain ?? valueDomain(unionExtent(series.map((s) => finiteExtent(s.ys, s.length))), 0.08))
      .range([o.height, 0]);
    y = o.yDomain ? ys : ys.nice();
  }

  const xd = x.domain() as Domain;
  const bucketX = (xs: Float64Array) => (st.logX ? xs.map(Math.log10) : xs);
  const [b0, b1] = st.logX ? [Math.log10(xd[0]), Math.log10(xd[1])] : xd;
  const drawable = (v: number) => Number.isFinite(v) && (!st.logY || v > 0);
  const curve = o.curve === 'step' ? curveStepAfter : curveLinear;
  const paths = prepared.map(({ s, f, sm, lo, hi }) => {
    const bx = bucketX(f.xs);
    const cols = o.width || 1;
    const pathOf = (ys: Float64Array) => {
      const idx = Array.from(decimateMinMax(bx, ys, f.length, cols, b0, b1));
      return (
        line<number>()
          .defined((i) => drawable(ys[i]))
          .x((i) => x(f.xs[i]))
          .y((i) => y(ys[i]))
          .curve(curve)(idx) ?? ''
      );
    };
    const rawIdx = Array.from(decimateMinMax(bx, f.ys, f.length, cols, b0, b1));
    const band =
      lo && hi
        ? (area<number>()
            .defined((i) => drawable(lo[i]) && drawable(hi[i]))
            .x((i) => x(f.xs[i]))
            .y0((i) => y(lo[i]))
            .y1((i) => y(hi[i]))
            .curve(curve)(rawIdx) ?? '')
        : null;
    return { id: s.id, colour: s.colour, raw: pathOf(f.ys), smooth: sm ? pathOf(sm) : null, band, shown: f.length };
  });
  return { x, y, xTicks, yTicks, paths, smoothed, dropped };
}
