'use client';
/**
 * Parallel coordinates of runs: one vertical axis per column (numeric config keys, then the chosen scalar), one line
 * per run coloured by the scalar. Dragging on an axis brushes a range (d3-brush); the brushes are the selection and
 * travel as query terms, so the table below shows exactly the runs inside every range. The same ranges can be typed
 * in the form under the chart (keyboard). Axes whose values span more than a factor of 20, all positive, are log.
 */
import { memo, useEffect, useMemo, useRef, useState } from 'react';
import { brushY, scaleLinear, scaleLog, select, type BrushBehavior } from 'd3';
import type { OverviewPage } from '@/lib/protocol';
import { rampInterpolator } from '@/lib/chart/colour';
import { formatValue } from '@/lib/chart/scales';
import { columnLabel } from '@/lib/runs/fields';
import type { Brush } from '@/store/overview-url';
import { useWidth } from './use-width';

type Points = NonNullable<OverviewPage['points']>;
type Scale = ((v: number) => number) & { invert(y: number): number; ticks(n: number): number[]; domain(): number[]; log?: true };

const HEIGHT = 240;
const TOP = 28;
const BOTTOM = 16;
const SIDE = 56;

/** A scale per axis over its finite values: log when they are positive and span more than a factor of 20. */
export function axisScale(values: Array<number | null>, height: number): Scale {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = finite.length ? Math.min(...finite) : 0;
  const hi = finite.length ? Math.max(...finite) : 1;
  if (lo > 0 && hi / lo > 20)
    return Object.assign(
      scaleLog()
        .domain([lo, hi])
        .range([height - BOTTOM, TOP])
        .nice(),
      { log: true as const },
    ) as unknown as Scale;
  const pad = lo === hi ? Math.abs(lo) * 0.1 || 1 : 0;
  return scaleLinear()
    .domain([lo - pad, hi + pad])
    .range([height - BOTTOM, TOP])
    .nice() as unknown as Scale;
}

interface Props {
  points: Points;
  brush: Brush[];
  onBrush: (brush: Brush[]) => void;
}

/** The axes on which some run has a number (a text-valued config key makes no axis), and the values on them. */
export function numericAxes(points: Points): Points {
  const keep = points.axes.map((_, a) => points.values.some((v) => v[a] !== null));
  if (keep.every(Boolean)) return points;
  return { ...points, axes: points.axes.filter((_, a) => keep[a]), values: points.values.map((v) => v.filter((_, a) => keep[a])) };
}

/** An axis's ticks: decades on a log axis, a few round values on a linear one. */
export function axisTicks(scale: Scale): number[] {
  const ticks = scale.ticks(5);
  return scale.log ? ticks.filter((t) => Math.abs(Math.log10(t) - Math.round(Math.log10(t))) < 1e-9) : ticks.slice(0, 8);
}

/** Renders the chart and its range form (memoised: it redraws only when its points, brushes or handler change). */
export const ParallelCoords = memo(function ParallelCoords({ points: all, brush, onBrush }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const svg = useRef<SVGSVGElement | null>(null);
  const points = useMemo(() => numericAxes(all), [all]);
  const { axes } = points;
  const scales = useMemo(
    () =>
      axes.map((_, a) =>
        axisScale(
          points.values.map((v) => v[a]),
          HEIGHT,
        ),
      ),
    [axes, points.values],
  );
  const x = (a: number) => SIDE + (a * Math.max(0, width - 2 * SIDE)) / Math.max(1, axes.length - 1);
  const metric = axes.length - 1;
  const colourOf = useMemo(() => {
    const d = scales[metric]?.domain() ?? [0, 1];
    const ramp = rampInterpolator('viridis');
    return (v: number | null, muted: string) => (v === null ? muted : ramp(Math.max(0, Math.min(1, (v - d[0]) / (d[1] - d[0] || 1)))));
  }, [scales, metric]);

  // Up to 2,000 lines: one canvas under the SVG axes and brushes (no DOM node per line), redrawn when the points, the
  // width or the colour scheme change. The canvas fills its box by CSS, so drawing never changes the page's layout.
  const canvas = useRef<HTMLCanvasElement | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: x() follows width and axes, both listed
  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx || width === 0) return;
    const draw = () => {
      const ratio = window.devicePixelRatio || 1;
      c.width = Math.round(width * ratio);
      c.height = Math.round(HEIGHT * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      const style = getComputedStyle(c);
      const dim = style.getPropertyValue('--border').trim() || '#ccc';
      const muted = style.getPropertyValue('--muted').trim() || '#888';
      ctx.lineWidth = 1.2;
      const trace = (v: Array<number | null>) => {
        ctx.beginPath();
        let started = false;
        v.forEach((value, a) => {
          if (value === null) return;
          if (started) ctx.lineTo(x(a), scales[a](value));
          else ctx.moveTo(x(a), scales[a](value));
          started = true;
        });
        ctx.stroke();
      };
      // Dimmed lines first, so the selected ones stay on top.
      ctx.globalAlpha = 0.6;
      ctx.strokeStyle = dim;
      points.values.forEach((v, i) => {
        if (!points.selected[i]) trace(v);
      });
      ctx.globalAlpha = 1;
      points.values.forEach((v, i) => {
        if (!points.selected[i]) return;
        ctx.strokeStyle = colourOf(v[metric], muted);
        trace(v);
      });
    };
    // After the next paint: the rows of a new answer show first, and reading the theme's colours (a style recalculation)
    // and stroking 2,000 lines never sit between their commit and that paint.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(draw, 0);
    });
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    media.addEventListener('change', draw);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(timer);
      media.removeEventListener('change', draw);
    };
  }, [points, scales, colourOf, metric, width, axes]);

  // d3 owns the brush gestures; the brushes' ranges live in the URL state, and are redrawn from it.
  const latest = useRef({ brush, onBrush });
  latest.current = { brush, onBrush };
  // biome-ignore lint/correctness/useExhaustiveDependencies: brushes are redrawn when the ranges change from outside (the form, Clear, the URL); x() follows width and axes, both listed
  useEffect(() => {
    if (!svg.current || width === 0) return;
    const behaviours: Array<BrushBehavior<unknown>> = [];
    select(svg.current)
      .selectAll('g.brush')
      .each(function (_, a) {
        const axis = axes[a];
        const scale = scales[a];
        const b = brushY()
          .extent([
            [x(a) - 12, TOP],
            [x(a) + 12, HEIGHT - BOTTOM],
          ])
          .on('end', (event: { selection: [number, number] | null; sourceEvent?: unknown }) => {
            if (!event.sourceEvent) return; // moved by code below, not by a person
            const others = latest.current.brush.filter((r) => r.axis !== axis);
            if (!event.selection) return latest.current.onBrush(others);
            const [y0, y1] = event.selection;
            const lo = scale.invert(y1);
            const hi = scale.invert(y0);
            latest.current.onBrush([...others, { axis, lo: Number(lo.toPrecision(6)), hi: Number(hi.toPrecision(6)) }]);
          });
        behaviours.push(b as unknown as BrushBehavior<unknown>);
        const g = select(this as SVGGElement).call(b);
        const r = latest.current.brush.find((x) => x.axis === axis);
        b.move(g, r ? [scale(r.hi), scale(r.lo)] : null);
      });
    return () => {
      for (const b of behaviours) b.on('end', null);
    };
    // Brushes are redrawn when the ranges change from outside (the form, Clear, the URL).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [axes, scales, width, brush]);

  const shown = points.values.length;
  const chosen = points.selected.filter(Boolean).length;
  return (
    <div className="parcoords" ref={ref} data-testid="parcoords" data-lines={shown} data-selected={chosen}>
      <p className="chart-desc small">
        {shown} runs{points.truncated ? ' (the first 2000)' : ''} across {axes.map(columnLabel).join(', ')}; lines coloured by {columnLabel(axes[metric])}. Drag
        on an axis to select a range: {chosen} of {shown} runs inside every range.
      </p>
      <div className="parcoords-plot">
        <canvas ref={canvas} />
        <svg ref={svg} height={HEIGHT} role="img" aria-label={`Parallel coordinates of ${shown} runs over ${axes.map(columnLabel).join(', ')}`}>
          {width > 0 && (
            <>
              {axes.map((axis, a) => (
                <g key={axis} className="axis" transform={`translate(${x(a)},0)`} data-axis={axis}>
                  <line y1={TOP} y2={HEIGHT - BOTTOM} />
                  {axisTicks(scales[a]).map((t) => (
                    <g key={t} transform={`translate(0,${scales[a](t)})`}>
                      <line x2={-4} />
                      <text x={-6} dy="0.32em" textAnchor="end">
                        {formatValue(t)}
                      </text>
                    </g>
                  ))}
                  <text className="axis-title" y={TOP - 12} textAnchor="middle">
                    {columnLabel(axis)}
                  </text>
                </g>
              ))}
              {axes.map((axis) => (
                <g key={axis} className="brush" data-axis={axis} />
              ))}
            </>
          )}
        </svg>
      </div>
      <RangeForm axes={axes} brush={brush} onBrush={onBrush} />
    </div>
  );
});

/** The keyboard's way to brush: an axis, a low and a high value. */
function RangeForm({ axes, brush, onBrush }: Omit<Props, 'points'> & { axes: string[] }) {
  const [axis, setAxis] = useState(axes[0] ?? '');
  const [lo, setLo] = useState('');
  const [hi, setHi] = useState('');
  const apply = () => {
    const a = Number(lo);
    const b = Number(hi);
    if (!axes.includes(axis) || lo === '' || hi === '' || !Number.isFinite(a) || !Number.isFinite(b)) return;
    onBrush([...brush.filter((r) => r.axis !== axis), { axis, lo: Math.min(a, b), hi: Math.max(a, b) }]);
  };
  return (
    <form
      className="runs-toolbar small"
      onSubmit={(e) => {
        e.preventDefault();
        apply();
      }}
      aria-label="Select a range on an axis"
    >
      <label>
        Axis{' '}
        <select aria-label="Axis" value={axis} onChange={(e) => setAxis(e.target.value)}>
          {axes.map((a) => (
            <option key={a} value={a}>
              {columnLabel(a)}
            </option>
          ))}
        </select>
      </label>
      <label>
        from <input aria-label="Range from" type="number" step="any" value={lo} onChange={(e) => setLo(e.target.value)} style={{ width: '9ch' }} />
      </label>
      <label>
        to <input aria-label="Range to" type="number" step="any" value={hi} onChange={(e) => setHi(e.target.value)} style={{ width: '9ch' }} />
      </label>
      <button type="submit">Select range</button>
    </form>
  );
}
