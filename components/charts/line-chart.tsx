'use client';
/**
 * A multi-series line chart: d3 computes scales and path strings (./line-geometry), React renders the SVG; dense series are
 * min/max decimated per pixel column. Scalar charts add log axes, EMA smoothing over the faint raw series and a min/max band.
 */
import { useId, useMemo, useRef, useState, type PointerEvent, type ReactNode } from 'react';
import { describeChart, type ChartSettings } from '@/lib/chart/chart-settings';
import { seriesData } from '@/lib/chart/export';
import { formatDecade } from '@/lib/chart/log-scale';
import { formatStep, formatValue, nearestIndex, tickFormatter, type Domain } from '@/lib/chart/scales';
import { AxisBottom, AxisLeft } from './axes';
import { ChartViewMenu } from './chart-view-menu';
import { ExportMenu } from './export-menu';
import { lineGeometry } from './line-geometry';
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
  /** Log axes, smoothing and band (scalar charts); absent: linear and raw. */
  settings?: ChartSettings;
  /** Shows the view menu that changes `settings`. */
  onSettings?: (patch: Partial<ChartSettings>) => void;
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

  const settings = props.settings;
  const geo = useMemo(
    () => lineGeometry(series, { width: innerW, height: innerH, curve, xDomain: props.xDomain, yDomain: props.yDomain, settings }),
    // series identity changes when the data does (panels rebuild the array on each throttled update)
    [series, innerW, innerH, curve, props.xDomain, props.yDomain, settings],
  );
  const { x, y, paths, smoothed, dropped } = geo;
  const logX = settings?.logX ?? false;
  const logY = settings?.logY ?? false;
  const smoothing = settings?.smoothing ?? 0;
  const reading = settings ? describeChart(settings) : '';
  const droppedNote = dropped > 0 ? `${dropped} point${dropped > 1 ? 's' : ''} ≤ 0 not shown (log ${logX && logY ? 'axes' : logX ? 'x' : 'y'})` : '';

  const onMove = (e: PointerEvent<SVGRectElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    setHoverX(x.invert(Math.max(0, e.clientX - box.left)));
  };
  // On a log x axis, steps ≤ 0 are not drawn, so the readout skips to the first step it can place.
  const nearest = (s: LineSeries, at: number) => {
    let i = nearestIndex(s.xs, s.length, at);
    while (logX && i >= 0 && i < s.length && !(s.xs[i] > 0)) i++;
    return i < s.length ? i : -1;
  };
  const readout = hoverX === null ? null : series.map((s) => ({ s, i: nearest(s, hoverX), sm: smoothed.get(s.id) })).filter((r) => r.i >= 0);
  const hoverStep = readout?.length ? readout[0].s.xs[readout[0].i] : null;

  return (
    <figure
      className="chart"
      ref={figRef}
      data-testid={props.testId}
      data-points={points}
      data-series={series.length}
      data-logx={logX}
      data-logy={logY}
      data-smoothing={smoothing}
      data-band={settings?.band ?? false}
      data-dropped={dropped}
    >
      <figcaption>
        <span className="chart-titlebar">
          <span className="chart-title">{props.title}</span>
          <span className="chart-tools">
            {settings && props.onSettings && <ChartViewMenu title={props.title} settings={settings} onChange={props.onSettings} />}
            {props.exportable !== false && (
              <ExportMenu title={props.title} target={figRef} data={() => seriesData(props.xLabel, withSmoothed(series, smoothed, smoothing))} />
            )}
          </span>
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
          <svg
            width={width}
            height={height}
            role="img"
            aria-label={`${props.title}: ${props.yLabel}${logY ? ' (log scale)' : ''} against ${props.xLabel}${logX ? ' (log scale)' : ''}${reading ? `; ${reading}` : ''}${droppedNote ? `; ${droppedNote}` : ''}`}
          >
            <g transform={`translate(${M.left},${M.top})`}>
              <AxisLeft
                scale={y}
                at={0}
                label={logY ? `${props.yLabel} (log)` : props.yLabel}
                values={geo.yTicks}
                format={logY ? formatDecade : (props.yFormat ?? tickFormatter(y.domain() as Domain, 5))}
                grid={innerW}
                titleOffset={M.left - 12}
                integer={props.yInteger}
              />
              <AxisBottom
                scale={x}
                at={innerH}
                label={`${props.xLabel}${logX ? ' (log)' : ''}${smoothing > 0 ? ` · ${smoothingNote(smoothing, settings?.band ?? false)}` : ''}`}
                values={geo.xTicks}
                format={xFormat}
                integer={!logX && props.xFormat === undefined}
              />
              {props.baselines
                ?.filter((b) => !logY || b.y > 0)
                .map((b) => (
                  <g key={b.label} className="baseline">
                    <line x1={0} x2={innerW} y1={y(b.y)} y2={y(b.y)} />
                    <text x={innerW - 4} y={y(b.y) - 4} textAnchor="end">
                      {b.label}
                    </text>
                  </g>
                ))}
              <clipPath id={clipId}>
                <rect width={innerW} height={innerH} />
              </clipPath>
              <g clipPath={`url(#${clipId})`}>
                {paths.map((p) => p.band && <path key={`${p.id}-band`} className="band" d={p.band} fill={p.colour} data-testid="series-band" />)}
                {paths.map((p) => (
                  <path key={p.id} className={p.smooth ? 'series series-raw' : 'series'} d={p.raw} stroke={p.colour} data-shown={p.shown} />
                ))}
                {paths.map((p) => p.smooth && <path key={`${p.id}-smooth`} className="series series-smoothed" d={p.smooth} stroke={p.colour} />)}
                {/* A lone point draws no line: a dot, so a series of one sample is visible (if its axes can place it). */}
                {series.map(
                  (s) =>
                    s.length === 1 &&
                    Number.isFinite(s.ys[0]) &&
                    (!logY || s.ys[0] > 0) &&
                    (!logX || s.xs[0] > 0) && <circle key={`${s.id}-point`} className="series-point" cx={x(s.xs[0])} cy={y(s.ys[0])} r={2.5} fill={s.colour} />,
                )}
              </g>
              {droppedNote && (
                <text className="chart-note warn" x={4} y={innerH - 6} data-testid="log-dropped" data-count={dropped}>
                  {droppedNote}
                </text>
              )}
              {props.marker != null && (!logX || props.marker > 0) && <line className="marker" x1={x(props.marker)} x2={x(props.marker)} y1={0} y2={innerH} />}
              {hoverStep !== null && <line className="hover-rule" x1={x(hoverStep)} x2={x(hoverStep)} y1={0} y2={innerH} />}
              {readout?.map(({ s, i, sm }) => {
                const v = sm ? sm[i] : s.ys[i];
                return (
                  Number.isFinite(v) &&
                  (!logY || v > 0) &&
                  (!logX || s.xs[i] > 0) && <circle key={s.id} className="hover-dot" cx={x(s.xs[i])} cy={y(v)} r={3} fill={s.colour} />
                );
              })}
              <rect className="overlay" width={innerW} height={innerH} onPointerMove={onMove} onPointerLeave={() => setHoverX(null)} />
            </g>
          </svg>
        )}
        {/* Nothing to plot: a sentence, never axes over an invented domain. */}
        {points === 0 && (
          <div className="chart-empty" data-testid={props.testId ? `${props.testId}-empty` : undefined}>
            {props.emptyText ?? 'No data yet'}
          </div>
        )}
        {readout && hoverStep !== null && (
          <div className="readout" role="status" style={{ left: Math.min(M.left + x(hoverStep) + 12, Math.max(0, width - 190)), top: M.top }}>
            <div className="readout-head">
              {props.xLabel} {xFormat(hoverStep)}
            </div>
            {readout.slice(0, 12).map(({ s, i, sm }) => (
              <div key={s.id} className="readout-row">
                <span className="swatch" style={{ background: s.colour }} />
                <span className="readout-label">{s.label}</span>
                <span className="readout-value">
                  {sm ? (
                    <>
                      {yFormat(sm[i])} <span className="muted">(raw {yFormat(s.ys[i])})</span>
                    </>
                  ) : (
                    yFormat(s.ys[i])
                  )}
                </span>
              </div>
            ))}
            {readout.length > 12 && <div className="readout-more">+{readout.length - 12} more</div>}
          </div>
        )}
      </div>
    </figure>
  );
}

/** What the x-axis title adds about smoothing (so exported figures say how their lines were drawn). */
function smoothingNote(w: number, band: boolean): string {
  return `EMA ${w} (raw faint${band ? ', band' : ''})`;
}

/** The series for data export, each smoothed one followed by its smoothed values (labelled with the weight). */
function withSmoothed(series: readonly LineSeries[], smoothed: Map<string, Float64Array>, w: number): LineSeries[] {
  return series.flatMap((s) => {
    const sm = smoothed.get(s.id);
    return sm ? [s, { ...s, id: `${s.id}-ema`, label: `${s.label} (EMA ${w})`, ys: sm }] : [s];
  });
}
