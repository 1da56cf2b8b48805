'use client';
/** A multi-series line chart: d3 computes scales and path strings, React renders the SVG; dense series are min/max decimated per pixel column. */
import { useId, useMemo, useRef, useState, type PointerEvent, type ReactNode } from 'react';
import { curveLinear, curveStepAfter, line, scaleLinear } from 'd3';
import { decimateMinMax } from '@/lib/chart/decimate';
import { seriesData } from '@/lib/chart/export';
import { finiteExtent, formatStep, formatValue, nearestIndex, paddedDomain, tickFormatter, unionExtent, type Domain } from '@/lib/chart/scales';
import { AxisBottom, AxisLeft } from './axes';
import { ExportMenu } from './export-menu';
import { useWidth } from './use-width';

export interface LineSeries {
  id: string;
  label: string;
  colour: string;
  xs: ArrayLike<number>;
  ys: ArrayLike<number>;
  length: number;
}

export interface LineChartProps {
  title: string;
  /** One line under the title saying what the chart shows. */
  description?: ReactNode;
  xLabel: string;
  yLabel: string;
  series: LineSeries[];
  height: number;
  xDomain?: Domain;
  yDomain?: Domain;
  curve?: 'linear' | 'step';
  /** A vertical rule (e.g. the step under the time scrubber). */
  marker?: number | null;
  /** Horizontal reference lines (e.g. a chance baseline). */
  baselines?: Array<{ y: number; label: string }>;
  yFormat?: (v: number) => string;
  /** The y values are whole numbers (k): integer ticks only. */
  yInteger?: boolean;
  /** x tick and readout labels (default: steps, 950, 1.2k, 35k, on integer ticks only). */
  xFormat?: (v: number) => string;
  emptyText?: string;
  testId?: string;
  legend?: boolean;
  /** Show the export menu (SVG, PNG, CSV, JSON); default true. */
  exportable?: boolean;
}

const M = { top: 10, right: 14, bottom: 38, left: 62 };

/** Renders a titled, labelled line chart with a hover readout of every series at the nearest step. */
export function LineChart(props: LineChartProps) {
  const { series, height, curve = 'linear', yFormat = formatValue, xFormat = formatStep, legend = series.length > 1 } = props;
  const [ref, width] = useWidth<HTMLDivElement>();
  const [hoverX, setHoverX] = useState<number | null>(null);
  const figRef = useRef<HTMLElement | null>(null);
  const clipId = `clip-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;
  const innerW = Math.max(0, width - M.left - M.right);
  const innerH = height - M.top - M.bottom;
  const points = series.reduce((n, s) => n + s.length, 0);

  const { x, y, paths } = useMemo(() => {
    const xe = unionExtent(series.map((s) => finiteExtent(s.xs, s.length)));
    // x is a training step: never below 0 (a single checkpoint at step 0 gets the window [0, 1], not [-1, 1]).
    const xp = props.xDomain ?? paddedDomain(xe, 0, [0, 1]);
    const xd: Domain = xe && xe[0] >= 0 && xp[0] < 0 ? [0, Math.max(xp[1], 1)] : xp;
    const yd = props.yDomain ?? paddedDomain(unionExtent(series.map((s) => finiteExtent(s.ys, s.length))), 0.08);
    const x = scaleLinear().domain(xd).range([0, innerW]);
    const y = scaleLinear().domain(yd).range([innerH, 0]);
    if (!props.yDomain) y.nice();
    const paths = series.map((s) => {
      const idx = Array.from(decimateMinMax(s.xs, s.ys, s.length, innerW || 1, xd[0], xd[1]));
      const gen = line<number>()
        .defined((i) => Number.isFinite(s.ys[i]))
        .x((i) => x(s.xs[i]))
        .y((i) => y(s.ys[i]))
        .curve(curve === 'step' ? curveStepAfter : curveLinear);
      return { id: s.id, colour: s.colour, d: gen(idx) ?? '' };
    });
    return { x, y, paths };
    // series identity changes when the data does (panels rebuild the array on each throttled update)
  }, [series, innerW, innerH, curve, props.xDomain, props.yDomain]);

  const onMove = (e: PointerEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    setHoverX(x.invert(e.clientX - box.left));
  };
  const readout = hoverX === null ? null : series.map((s) => ({ s, i: nearestIndex(s.xs, s.length, hoverX) })).filter((r) => r.i >= 0);
  const hoverStep = readout?.length ? readout[0].s.xs[readout[0].i] : null;

  return (
    <figure className="chart" ref={figRef} data-testid={props.testId} data-points={points} data-series={series.length}>
      <figcaption>
        <span className="chart-titlebar">
          <span className="chart-title">{props.title}</span>
          {props.exportable !== false && <ExportMenu title={props.title} target={figRef} data={() => seriesData(props.xLabel, series)} />}
        </span>
        {props.description ? <span className="chart-desc">{props.description}</span> : null}
      </figcaption>
      {legend && (
        <ul className="legend" aria-label="series">
          {series.map((s) => (
            <li key={s.id}>
              <span className="swatch" style={{ background: s.colour }} />
              {s.label}
            </li>
          ))}
        </ul>
      )}
      <div ref={ref} className="chart-body" style={{ height }}>
        {width > 0 && points > 0 && (
          <svg width={width} height={height} role="img" aria-label={`${props.title}: ${props.yLabel} against ${props.xLabel}`}>
            <g transform={`translate(${M.left},${M.top})`}>
              <AxisLeft scale={y} at={0} label={props.yLabel} format={props.yFormat ?? tickFormatter(y.domain() as Domain, 5)} grid={innerW} titleOffset={M.left - 12} integer={props.yInteger} />
              <AxisBottom scale={x} at={innerH} label={props.xLabel} format={xFormat} integer={props.xFormat === undefined} />
              {props.baselines?.map((b) => (
                <g key={b.label} className="baseline">
                  <line x1={0} x2={innerW} y1={y(b.y)} y2={y(b.y)} />
                  <text x={innerW - 4} y={y(b.y) - 4} textAnchor="end">{b.label}</text>
                </g>
              ))}
              <clipPath id={clipId}>
                <rect width={innerW} height={innerH} />
              </clipPath>
              <g clipPath={`url(#${clipId})`}>
                {paths.map((p) => <path key={p.id} className="series" d={p.d} stroke={p.colour} />)}
                {/* A lone point draws no line: a dot, so a series of one sample is visible. */}
                {series.map((s) => s.length === 1 && Number.isFinite(s.ys[0]) && <circle key={`${s.id}-point`} className="series-point" cx={x(s.xs[0])} cy={y(s.ys[0])} r={2.5} fill={s.colour} />)}
              </g>
              {props.marker != null && <line className="marker" x1={x(props.marker)} x2={x(props.marker)} y1={0} y2={innerH} />}
              {hoverStep !== null && <line className="hover-rule" x1={x(hoverStep)} x2={x(hoverStep)} y1={0} y2={innerH} />}
              {readout?.map(({ s, i }) => Number.isFinite(s.ys[i]) && <circle key={s.id} className="hover-dot" cx={x(s.xs[i])} cy={y(s.ys[i])} r={3} fill={s.colour} />)}
              <rect className="overlay" width={innerW} height={innerH} onPointerMove={onMove} onPointerLeave={() => setHoverX(null)} />
            </g>
          </svg>
        )}
        {/* Nothing to plot: a sentence, never axes over an invented domain. */}
        {points === 0 && <div className="chart-empty" data-testid={props.testId ? `${props.testId}-empty` : undefined}>{props.emptyText ?? 'No data yet'}</div>}
        {readout && hoverStep !== null && (
          <div className="readout" role="status" style={{ left: Math.min(M.left + x(hoverStep) + 12, Math.max(0, width - 190)), top: M.top }}>
            <div className="readout-head">{props.xLabel} {xFormat(hoverStep)}</div>
            {readout.slice(0, 12).map(({ s, i }) => (
              <div key={s.id} className="readout-row">
                <span className="swatch" style={{ background: s.colour }} />
                <span className="readout-label">{s.label}</span>
                <span className="readout-value">{yFormat(s.ys[i])}</span>
              </div>
            ))}
            {readout.length > 12 && <div className="readout-more">+{readout.length - 12} more</div>}
          </div>
        )}
      </div>
    </figure>
  );
}
