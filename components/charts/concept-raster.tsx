'use client';
/**
 * Concept raster: units (rows) × checkpoints (columns) of one layer, each cell coloured by the unit's best concept when
 * it is a detector (IoU above the threshold; stronger IoU, more opaque), blank otherwise — when units become detectors
 * and when they switch concepts. Canvas fed through `subscribe`, at most one draw per animation frame; click opens a unit.
 * It shows the rows it is given (a page of a wide layer: the per-unit values are fetched on request).
 */
import { useEffect, useRef, useState, type PointerEvent } from 'react';
import { conceptColour } from '@/lib/chart/concept-colours';
import { rgbaBytes } from '@/lib/chart/colour';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { recordDrawTime } from './draw-timings';
import { useWidth } from './use-width';

export interface RasterData {
  /** Rows shown: units firstUnit … firstUnit + units − 1 of the layer. */
  units: number;
  firstUnit: number;
  steps: readonly number[];
  /** cells[c] for each step: per shown unit best concept and IoU (null: not computed or not loaded). */
  cells: ReadonlyArray<{ best: readonly number[]; iou: readonly number[] } | null>;
  threshold: number;
  concepts: ReadonlyArray<{ name: string }>;
}

/** Where the raster reads its data and hears that it changed. */
export interface RasterSource {
  read(): RasterData | null;
  subscribe(onChange: () => void): () => void;
}

interface Props {
  source: RasterSource;
  height: number;
  onSelectUnit?: (unit: number) => void;
  markerColumn?: number | null;
}

const M = { top: 4, right: 8, bottom: 34, left: 44 };

/** Renders the raster canvas with its axes and a hover readout. */
export function ConceptRaster({ source, height, onSelectUnit, markerColumn = null }: Props) {
  const [wrapRef, width] = useWidth<HTMLDivElement>();
  const canvasRef = useRef<HTMLCanvasElement | null>(null);
  const [axis, setAxis] = useState({ units: 0, firstUnit: 0, columns: 0, first: 0, last: 0 });
  const [hover, setHover] = useState<{ u: number; c: number; x: number; y: number } | null>(null);
  const plotW = Math.max(0, width - M.left - M.right),
    plotH = height - M.top - M.bottom;

  // biome-ignore lint/correctness/useExhaustiveDependencies: plotH: the raster is redrawn when the plot's height changes
  useEffect(() => {
    const canvas = canvasRef.current;
    const ctx = canvas?.getContext('2d');
    if (!canvas || !ctx || plotW <= 0) return;
    const palette = Array.from({ length: 9 }, (_, i) => rgbaBytes(conceptColour(i)));
    let frame = 0;
    const draw = () => {
      frame = 0;
      const t0 = performance.now();
      const data = source.read();
      const units = data?.units ?? 0,
        columns = data?.steps.length ?? 0,
        firstUnit = data?.firstUnit ?? 0;
      setAxis((a) =>
        a.units === units && a.columns === columns && a.firstUnit === firstUnit
          ? a
          : { units, firstUnit, columns, first: data?.steps[0] ?? 0, last: data?.steps[columns - 1] ?? 0 },
      );
      canvas.width = Math.max(1, columns);
      canvas.height = Math.max(1, units);
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      if (!data || !units || !columns) return;
      const img = ctx.createImageData(columns, units);
      for (let c = 0; c < columns; c++) {
        const cell = data.cells[c];
        if (!cell) continue;
        for (let u = 0; u < units; u++) {
          const b = cell.best[u],
            v = cell.iou[u];
          if (b < 0 || !(v > data.threshold)) continue;
          const rgb = palette[b % palette.length];
          const o = (u * columns + c) * 4;
          img.data[o] = rgb[0];
          img.data[o + 1] = rgb[1];
          img.data[o + 2] = rgb[2];
          img.data[o + 3] = Math.round(255 * Math.min(1, 0.55 + 2 * v));
        }
      }
      ctx.putImageData(img, 0, 0);
      recordDrawTime(performance.now() - t0);
    };
    const schedule = () => {
      if (!frame) frame = requestAnimationFrame(draw);
    };
    const unsubscribe = source.subscribe(schedule);
    schedule();
    return () => {
      unsubscribe();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [source, plotW, plotH]);

  const { units, columns, firstUnit } = axis;
  const colW = columns ? plotW / columns : 0,
    rowH = units ? plotH / units : 0;
  const at = (e: { currentTarget: HTMLCanvasElement; clientX: number; clientY: number }) => {
    const box = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - box.left,
      y = e.clientY - box.top;
    return { u: Math.min(units - 1, Math.max(0, Math.floor(y / rowH))), c: Math.min(columns - 1, Math.max(0, Math.floor(x / colW))), x, y };
  };
  const onMove = (e: PointerEvent<HTMLCanvasElement>) => setHover(units && columns ? at(e) : null);
  const data = hover ? source.read() : null;
  const cell = hover && data ? data.cells[hover.c] : null;
  const best = cell && hover ? cell.best[hover.u] : -1;
  const iou = cell && hover ? cell.iou[hover.u] : null;

  return (
    <div
      ref={wrapRef}
      className="concept-raster"
      style={{ height, position: 'relative' }}
      data-testid="concept-raster"
      data-columns={columns}
      data-units={units}
      data-first-unit={firstUnit}
    >
      <canvas
        ref={canvasRef}
        className="concept-raster-canvas"
        style={{
          position: 'absolute',
          left: M.left,
          top: M.top,
          width: plotW,
          height: plotH,
          imageRendering: 'pixelated',
          cursor: onSelectUnit ? 'pointer' : undefined,
          visibility: columns ? 'visible' : 'hidden',
        }}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
        onClick={(e) => units > 0 && columns > 0 && onSelectUnit?.(firstUnit + at(e).u)}
        role="img"
        aria-label={`Best concept of units ${firstUnit}–${firstUnit + units - 1} over ${columns} checkpoints; click a row to open the unit's history.`}
      />
      {width > 0 && columns > 0 && (
        <svg
          className="concept-raster-axes"
          width={width}
          height={height}
          aria-hidden="true"
          style={{ position: 'absolute', left: 0, top: 0, pointerEvents: 'none' }}
        >
          <g transform={`translate(${M.left},${M.top})`}>
            <text className="tick-label" x={-6} y={6} textAnchor="end">
              {firstUnit}
            </text>
            {units > 1 && (
              <text className="tick-label" x={-6} y={plotH} textAnchor="end">
                {firstUnit + units - 1}
              </text>
            )}
            <text className="axis-title" transform={`translate(${-M.left + 10},${plotH / 2}) rotate(-90)`} textAnchor="middle">
              unit
            </text>
            {columns > 0 && (
              <g className="axis" transform={`translate(0,${plotH})`}>
                <text y={15} x={0} textAnchor="start">
                  {formatStep(axis.first)}
                </text>
                <text y={15} x={plotW} textAnchor="end">
                  {formatStep(axis.last)}
                </text>
                <text className="axis-title" x={plotW / 2} y={28} textAnchor="middle">
                  checkpoint step
                </text>
              </g>
            )}
            {markerColumn !== null && markerColumn < columns && (
              <rect className="heatmap-marker" x={markerColumn * colW} width={Math.max(1.5, colW)} y={0} height={plotH} />
            )}
          </g>
        </svg>
      )}
      {columns === 0 && <div className="chart-empty">Waiting for concept statistics…</div>}
      {hover && data && (
        <div className="readout" role="status" style={{ left: Math.min(M.left + hover.x + 14, Math.max(0, width - 200)), top: Math.max(0, hover.y - 10) }}>
          <div className="readout-head">
            unit {firstUnit + hover.u} · step {formatStep(data.steps[hover.c])}
          </div>
          <div className="readout-row">
            <span className="swatch" style={{ background: best >= 0 ? conceptColour(best) : 'transparent' }} />
            <span className="readout-label">{best >= 0 ? data.concepts[best]?.name : 'no concept'}</span>
            <span className="readout-value">IoU {formatValue(iou)}</span>
          </div>
          <div className="readout-row">
            <span className="readout-label">{iou !== null && iou > data.threshold ? 'detector' : `not a detector (IoU ≤ ${data.threshold})`}</span>
          </div>
        </div>
      )}
    </div>
  );
}
