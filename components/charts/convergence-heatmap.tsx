'use client';
/**
 * Convergence heatmap: layers (input side at the bottom) × checkpoints, colour = similarity to the newest (or final) state.
 * Canvas, fed through `subscribe` (no React render per delta), at most one draw per animation frame;
 * wider-than-pixel grids show each bucket's minimum (see lib/chart/heatmap-raster).
 */
import { useEffect, useRef, useState, type PointerEvent } from 'react';
import { rampLut, rgbaBytes, type Ramp } from '@/lib/chart/colour';
import { rasterizeGrid, rasterWidth, type Cell } from '@/lib/chart/heatmap-raster';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { recordDrawTime } from './draw-timings';
import { useWidth } from './use-width';

export interface HeatmapData {
  layers: readonly string[];
  steps: readonly number[];
  values: ReadonlyArray<ReadonlyArray<Cell>>;
  stale?: ReadonlyArray<ReadonlyArray<Cell>> | null;
  k?: ReadonlyArray<ReadonlyArray<Cell>> | null;
}

/** Where the heatmap reads its data: `read` at draw time, `subscribe` to hear that it changed. */
export interface HeatmapSource {
  read(): HeatmapData | null;
  subscribe(onChange: () => void): () => void;
}

interface Props {
  source: HeatmapSource;
  height: number;
  ramp?: Ramp;
  /** Column under the time scrubber. */
  markerColumn?: number | null;
  onSelectColumn?: (c: number) => void;
  valueLabel: string;
  /** Cells to outline, e.g. where the server advised freezing a layer. */
  markers?: ReadonlyArray<{ l: number; c: number; label: string }>;
  testId?: string;
  /** What to say while there is no column. */
  emptyText?: string;
}

const M = { top: 6, right: 10, bottom: 38, left: 74 };
type Axis = { layers: readonly string[]; steps: readonly number[]; columns: number };
const axisKey = (a: Axis) => `${a.layers.join('\u0000')}|${a.columns}|${a.steps[0]}|${a.steps[a.columns - 1]}`;

/** Renders the heatmap canvas with its SVG axes and hover readout. */
export function ConvergenceHeatmap({
  source,
  height,
  ramp = 'viridis',
  markerColumn = null,
  onSelectColumn,
  valueLabel,
  markers = [],
  testId = 'convergence-heatmap',
  emptyText = 'Waiting for the first checkpoints…',
}: Props) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const [axis, setAxis] = useState<Axis>({ layers: [], steps: [], columns: 0 });
  const [hover, setHover] = useState<{ l: number; c: number; x: number; y: number } | null>(null);
  const plotW = Math.max(0, width - M.left - M.right);
  const plotH = height - M.top - M.bottom;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas || plotW <= 0) return;
    const ctx = canvas.getContext('2d', { alpha: false });
    const off = document.createElement('canvas');
    const offCtx = off.getContext('2d');
    if (!ctx || !offCtx) return;
    const lut = rampLut(ramp);
    const dpr = window.devicePixelRatio || 1;
    canvas.width = Math.round(plotW * dpr);
    canvas.height = Math.round(plotH * dpr);
    const media = window.matchMedia('(prefers-color-scheme: dark)');
    let empty = rgbaBytes(getComputedStyle(canvas).getPropertyValue('--heatmap-empty').trim() || '#888');
    let image: ImageData | null = null;
    let frame = 0;
    let lastKey = '';
    const draw = () => {
      frame = 0;
      const t0 = performance.now();
      const data = source.read();
      const columns = data ? data.steps.length : 0;
      const next: Axis = { layers: data?.layers ?? [], steps: data?.steps ?? [], columns };
      const key = axisKey(next);
      if (key !== lastKey) {
        lastKey = key;
        setAxis({ layers: [...next.layers], steps: [...next.steps], columns });
      }
      ctx.fillStyle = `rgb(${empty[0]},${empty[1]},${empty[2]})`;
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      if (!data || columns === 0 || data.layers.length === 0) return;
      const w = rasterWidth(columns, canvas.width);
      const h = data.layers.length;
      if (!image || image.width !== w || image.height !== h) {
        off.width = w;
        off.height = h;
        image = new ImageData(w, h);
      }
      rasterizeGrid({ rows: data.values, stale: data.stale, columns, lo: 0, hi: 1, lut, empty }, canvas.width, { width: w, height: h, data: image.data });
      offCtx.putImageData(image, 0, 0);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(off, 0, 0, w, h, 0, 0, canvas.width, canvas.height);
      recordDrawTime(performance.now() - t0);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const onTheme = () => {
      empty = rgbaBytes(getComputedStyle(canvas).getPropertyValue('--heatmap-empty').trim() || '#888');
      schedule();
    };
    media.addEventListener('change', onTheme);
    const unsubscribe = source.subscribe(schedule);
    schedule();
    return () => {
      unsubscribe();
      media.removeEventListener('change', onTheme);
      if (frame) cancelAnimationFrame(frame);
    };
  }, [source, plotW, plotH, ramp]);

  const { layers, steps, columns } = axis;
  const colW = columns ? plotW / columns : 0;
  const rowH = layers.length ? plotH / layers.length : 0;
  const onMove = (e: PointerEvent<HTMLCanvasElement>) => {
    const box = e.currentTarget.getBoundingClientRect();
    const px = e.clientX - box.left;
    const py = e.clientY - box.top;
    if (!columns || !layers.length) return setHover(null);
    const c = Math.max(0, Math.min(columns - 1, Math.floor(px / colW)));
    const l = Math.max(0, Math.min(layers.length - 1, layers.length - 1 - Math.floor(py / rowH)));
    setHover({ l, c, x: px, y: py });
  };
  const data = hover ? source.read() : null;
  const fresh = hover && data ? (data.values[hover.l]?.[hover.c] ?? null) : null;
  const stale = hover && data && fresh === null ? (data.stale?.[hover.l]?.[hover.c] ?? null) : null;
  const k = hover && data ? (data.k?.[hover.l]?.[hover.c] ?? null) : null;
  const labelEvery = Math.max(1, Math.ceil(layers.length / Math.max(1, Math.floor(plotH / 14))));
  const tickCount = Math.min(columns, Math.max(2, Math.floor(plotW / 90)));
  const tickCols = columns ? [...new Set(Array.from({ length: tickCount }, (_, i) => Math.round((i * (columns - 1)) / Math.max(1, tickCount - 1))))] : [];

  return (
    <div ref={wrapRef} className="heatmap" style={{ height }} data-testid={testId} data-columns={columns} data-layers={layers.length}>
      <canvas
        ref={canvasRef}
        className="heatmap-canvas"
        style={{ left: M.left, top: M.top, width: plotW, height: plotH, visibility: columns ? 'visible' : 'hidden' }}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
        onClick={() => hover && onSelectColumn?.(hover.c)}
        aria-label={`Heatmap of ${valueLabel} for ${layers.length} layers over ${columns} checkpoints; values are listed in the table that follows.`}
        role="img"
      />
      {/* No column yet: a sentence, not an empty plot with axis titles. */}
      {width > 0 && columns > 0 && (
        <svg className="heatmap-axes" width={width} height={height} aria-hidden="true">
          <g transform={`translate(${M.left},${M.top})`}>
            {layers.map(
              (name, l) =>
                (l % labelEvery === 0 || l === layers.length - 1) && (
                  <text key={name} className="tick-label" x={-6} y={(layers.length - l - 0.5) * rowH} dy="0.32em" textAnchor="end">
                    {name.length > 10 ? `${name.slice(0, 9)}…` : name}
                  </text>
                ),
            )}
            <g className="axis" transform={`translate(0,${plotH})`}>
              {tickCols.map((c) => (
                <g key={c} transform={`translate(${(c + 0.5) * colW},0)`}>
                  <line y2={4} />
                  <text y={15} textAnchor="middle">
                    {formatStep(steps[c])}
                  </text>
                </g>
              ))}
              <text className="axis-title" x={plotW / 2} y={31} textAnchor="middle">
                checkpoint step
              </text>
            </g>
            <text className="axis-title" transform={`translate(${-M.left + 10},${plotH / 2}) rotate(-90)`} textAnchor="middle">
              layer (input at bottom)
            </text>
            {markerColumn !== null && markerColumn < columns && (
              <rect className="heatmap-marker" x={markerColumn * colW} width={Math.max(1.5, colW)} y={0} height={plotH} />
            )}
            {markers.map(
              (m) =>
                m.c < columns &&
                m.l < layers.length && (
                  <rect
                    key={`${m.l}-${m.c}`}
                    className="advice-mark"
                    data-testid="advice-mark"
                    x={m.c * colW}
                    y={(layers.length - 1 - m.l) * rowH + 1}
                    width={Math.max(4, colW)}
                    height={rowH - 2}
                  />
                ),
            )}
            {hover && <rect className="heatmap-hover" x={hover.c * colW} y={(layers.length - 1 - hover.l) * rowH} width={Math.max(1, colW)} height={rowH} />}
          </g>
        </svg>
      )}
      {columns === 0 && <div className="chart-empty">{emptyText}</div>}
      {hover && (
        <div
          className="readout"
          role="status"
          data-testid={`${testId}-readout`}
          style={{ left: Math.min(M.left + hover.x + 14, width - 200), top: Math.max(0, hover.y - 10) }}
        >
          <div className="readout-head">
            {layers[hover.l]} · step {formatStep(steps[hover.c])}
          </div>
          <div className="readout-row">
            <span className="readout-label">{valueLabel}</span>
            <span className="readout-value" data-value={fresh ?? ''}>
              {fresh !== null ? formatValue(fresh) : stale !== null ? `${formatValue(stale)} (previous reference)` : 'pending'}
            </span>
          </div>
          <div className="readout-row">
            <span className="readout-label">k (directions kept)</span>
            <span className="readout-value">{k ?? '–'}</span>
          </div>
          {markers.some((m) => m.l === hover.l && m.c === hover.c) && <div className="readout-row advice-note">freeze advised at this checkpoint</div>}
        </div>
      )}
    </div>
  );
}
