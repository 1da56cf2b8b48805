'use client';
/**
 * A similarity matrix between two sets of layers (input side at the bottom-left): one run's layers against each other
 * at a checkpoint, or two runs' layers against each other. SVG cells (at most ~48 × 48), a hover readout, the colour
 * legend with the chance baseline, and the export menu.
 */
import { useRef, useState, type ReactNode } from 'react';
import { scaleBand } from 'd3';
import { matrixData } from '@/lib/chart/export';
import { rampInterpolator, type Ramp } from '@/lib/chart/colour';
import { formatValue } from '@/lib/chart/scales';
import { ColourLegend } from './colour-legend';
import { ExportMenu } from './export-menu';
import { useWidth } from './use-width';

export interface MatrixData {
  rows: readonly string[];
  cols: readonly string[];
  /** values[r][c]: similarity of row layer r and column layer c (null: not computed). */
  values: ReadonlyArray<ReadonlyArray<number | null>>;
  chance: number | null;
}

interface Props {
  title: string;
  description: ReactNode;
  matrix: MatrixData | null;
  state: 'idle' | 'loading' | 'ready' | 'error';
  message?: string;
  metricLabel: string;
  rowTitle: string;
  colTitle: string;
  height: number;
  ramp?: Ramp;
  onRetry?: () => void;
  testId?: string;
  idleText?: string;
}

const M = { top: 6, right: 8, bottom: 50, left: 78 };
const LEGEND_W = 200;
const short = (s: string) => (s.length > 11 ? `${s.slice(0, 10)}…` : s);

/** Renders the matrix with its legend beside it (or below it when narrow), at a fixed height. */
export function LayerMatrix({
  title,
  description,
  matrix,
  state,
  message,
  metricLabel,
  rowTitle,
  colTitle,
  height,
  ramp = 'viridis',
  onRetry,
  testId = 'layer-matrix',
  idleText = 'Waiting for the first checkpoint…',
}: Props) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const figRef = useRef<HTMLElement | null>(null);
  const [hover, setHover] = useState<{ r: number; c: number; x: number; y: number } | null>(null);
  const interp = rampInterpolator(ramp);
  const rows = matrix?.rows ?? [];
  const cols = matrix?.cols ?? [];
  const below = width > 0 && width < M.left + 200 + M.right + LEGEND_W;
  const availW = Math.max(40, width - M.left - M.right - (below ? 0 : LEGEND_W + 12));
  const availH = Math.max(40, height - M.top - M.bottom - (below ? 86 : 0));
  const cell = rows.length && cols.length ? Math.max(2, Math.min(availW / cols.length, availH / rows.length)) : 0;
  const gridW = cell * cols.length;
  const gridH = cell * rows.length;
  const pad = Math.max(rows.length, cols.length) > 24 ? 0 : 0.04;
  const x = scaleBand<number>()
    .domain(cols.map((_, i) => i))
    .range([0, gridW])
    .paddingInner(pad);
  const y = scaleBand<number>()
    .domain(rows.map((_, i) => i))
    .range([gridH, 0])
    .paddingInner(pad);
  const every = (n: number, px: number) => Math.max(1, Math.ceil(n / Math.max(1, Math.floor(px / 13))));
  const rowEvery = every(rows.length, gridH);
  const colEvery = every(cols.length, gridW);
  const hv = hover && matrix ? (matrix.values[hover.r]?.[hover.c] ?? null) : null;
  const exportData = () =>
    matrix
      ? matrixData(rowTitle.split(' ')[0], colTitle.split(' ')[0], matrix.rows, matrix.cols, matrix.values, { metric: metricLabel, chance: matrix.chance })
      : null;

  return (
    <figure className="chart" ref={figRef} data-testid={testId} data-state={state} data-rows={rows.length} data-cols={cols.length}>
      <figcaption>
        <span className="chart-titlebar">
          <span className="chart-title">{title}</span>
          <ExportMenu title={title} target={figRef} data={exportData} />
        </span>
        <span className="chart-desc">{description}</span>
      </figcaption>
      <div ref={wrapRef} className="chart-body" style={{ height, display: 'flex', flexDirection: below ? 'column' : 'row', gap: 12, alignItems: 'flex-start' }}>
        {matrix && cell > 0 && (
          <svg
            width={M.left + gridW + M.right}
            height={M.top + gridH + M.bottom}
            role="img"
            aria-label={`${metricLabel}: ${rows.length} × ${cols.length} layers`}
          >
            <g transform={`translate(${M.left},${M.top})`} onPointerLeave={() => setHover(null)}>
              {matrix.values.map((row, r) =>
                row.map((v, c) => (
                  <rect
                    key={`${r}-${c}`}
                    x={x(c)}
                    y={y(r)}
                    width={x.bandwidth()}
                    height={y.bandwidth()}
                    fill={v === null ? 'var(--heatmap-empty)' : interp(Math.max(0, Math.min(1, v)))}
                    onPointerEnter={() => setHover({ r, c, x: (x(c) ?? 0) + M.left, y: (y(r) ?? 0) + M.top })}
                    data-a={rows[r]}
                    data-b={cols[c]}
                    data-value={v ?? ''}
                  />
                )),
              )}
              {hover && <rect className="heatmap-hover" x={x(hover.c)} y={y(hover.r)} width={x.bandwidth()} height={y.bandwidth()} />}
              {rows.map(
                (name, i) =>
                  (i % rowEvery === 0 || i === rows.length - 1) && (
                    <text key={`r${name}${i}`} className="tick-label" x={-6} y={(y(i) ?? 0) + y.bandwidth() / 2} dy="0.32em" textAnchor="end">
                      {short(name)}
                    </text>
                  ),
              )}
              {cols.map(
                (name, i) =>
                  (i % colEvery === 0 || i === cols.length - 1) && (
                    <text
                      key={`c${name}${i}`}
                      className="tick-label"
                      transform={`translate(${(x(i) ?? 0) + x.bandwidth() / 2},${gridH + 8}) rotate(-40)`}
                      textAnchor="end"
                    >
                      {short(name)}
                    </text>
                  ),
              )}
              <text className="axis-title" x={gridW / 2} y={gridH + 46} textAnchor="middle">
                {colTitle}
              </text>
              <text className="axis-title" transform={`translate(${-M.left + 10},${gridH / 2}) rotate(-90)`} textAnchor="middle">
                {rowTitle}
              </text>
            </g>
          </svg>
        )}
        {matrix && <ColourLegend ramp={ramp} domain={[0, 1]} label={metricLabel} chance={[matrix.chance]} width={LEGEND_W} />}
        {state === 'idle' && !matrix && <div className="chart-empty">{idleText}</div>}
        {state === 'loading' && !matrix && <div className="chart-empty">Computing…</div>}
        {state === 'error' && (
          <div className="chart-empty" role="alert">
            {message ?? 'Could not load the matrix.'}{' '}
            {onRetry && (
              <button type="button" onClick={onRetry}>
                Retry
              </button>
            )}
          </div>
        )}
        {hover && matrix && (
          <div
            className="readout"
            role="status"
            data-testid={`${testId}-readout`}
            style={{ left: Math.min(hover.x + cell + 8, Math.max(0, width - 200)), top: Math.max(0, hover.y - 8) }}
          >
            <div className="readout-head">
              {rows[hover.r]} × {cols[hover.c]}
            </div>
            <div className="readout-row">
              <span className="readout-label">{metricLabel}</span>
              <span className="readout-value" data-value={hv ?? ''}>
                {formatValue(hv)}
              </span>
            </div>
            {matrix.chance !== null && (
              <div className="readout-row">
                <span className="readout-label">chance</span>
                <span className="readout-value">{formatValue(matrix.chance)}</span>
              </div>
            )}
          </div>
        )}
      </div>
    </figure>
  );
}
