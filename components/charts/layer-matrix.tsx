'use client';
/** Layer × layer similarity at one checkpoint: which layers carry alike representations (input side at the bottom-left). */
import { useState } from 'react';
import { scaleBand } from 'd3';
import type { LayerMatrix as LayerMatrixData } from '@/lib/protocol/analysis';
import { rampInterpolator, type Ramp } from '@/lib/chart/colour';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { ColourLegend } from './colour-legend';

interface Props {
  matrix: LayerMatrixData | null;
  state: 'idle' | 'loading' | 'ready' | 'error';
  message?: string;
  metricLabel: string;
  height: number;
  ramp?: Ramp;
  onRetry?: () => void;
}

const M = { top: 6, right: 8, bottom: 52, left: 74 };

/** Renders the matrix as an SVG grid (at most ~48² cells), with a hover readout and a colour legend. */
export function LayerMatrix({ matrix, state, message, metricLabel, height, ramp = 'viridis', onRetry }: Props) {
  const [hover, setHover] = useState<{ a: number; b: number } | null>(null);
  const interp = rampInterpolator(ramp);
  const layers = matrix?.layers ?? [];
  const side = height - M.top - M.bottom;
  const band = scaleBand<number>().domain(layers.map((_, i) => i)).range([0, side]).paddingInner(layers.length > 24 ? 0 : 0.04);
  const pos = (i: number) => band(i) ?? 0;
  const rowY = (i: number) => side - pos(i) - band.bandwidth();
  const labelEvery = Math.max(1, Math.ceil(layers.length / Math.max(1, Math.floor(side / 14))));
  const short = (s: string) => (s.length > 10 ? `${s.slice(0, 9)}…` : s);
  const hv = hover && matrix ? matrix.values[hover.a]?.[hover.b] ?? null : null;
  return (
    <figure className="chart" data-testid="layer-matrix" data-state={state} data-step={matrix?.step ?? ''}>
      <figcaption>
        <span className="chart-title">Layer × layer similarity{matrix ? ` at step ${formatStep(matrix.step)}` : ''}</span>
        <span className="chart-desc">{metricLabel} between every pair of layers at the checkpoint under the scrubber.</span>
      </figcaption>
      <div className="chart-body matrix-body" style={{ height }}>
        {matrix && layers.length > 0 && (
          <svg width={M.left + side + M.right} height={height} role="img" aria-label={`${metricLabel} between ${layers.length} layers at step ${matrix.step}`}>
            <g transform={`translate(${M.left},${M.top})`} onPointerLeave={() => setHover(null)}>
              {matrix.values.map((row, a) =>
                row.map((v, b) => (
                  <rect key={`${a}-${b}`} x={pos(b)} y={rowY(a)} width={band.bandwidth()} height={band.bandwidth()} fill={v === null ? 'var(--heatmap-empty)' : interp(Math.max(0, Math.min(1, v)))} onPointerEnter={() => setHover({ a, b })} data-a={layers[a]} data-b={layers[b]} data-value={v ?? ''} />
                )),
              )}
              {hover && <rect className="heatmap-hover" x={pos(hover.b)} y={rowY(hover.a)} width={band.bandwidth()} height={band.bandwidth()} />}
              {layers.map((name, i) => (i % labelEvery === 0 || i === layers.length - 1) && (
                <g key={name} className="axis">
                  <text x={-6} y={rowY(i) + band.bandwidth() / 2} dy="0.32em" textAnchor="end">{short(name)}</text>
                  <text transform={`translate(${pos(i) + band.bandwidth() / 2},${side + 8}) rotate(-40)`} textAnchor="end">{short(name)}</text>
                </g>
              ))}
              <text className="axis-title" x={side / 2} y={side + 48} textAnchor="middle">layer (input at left)</text>
              <text className="axis-title" transform={`translate(${-M.left + 10},${side / 2}) rotate(-90)`} textAnchor="middle">layer (input at bottom)</text>
            </g>
          </svg>
        )}
        {matrix && (
          <div className="matrix-side">
            <ColourLegend ramp={ramp} domain={[0, 1]} label={metricLabel} chance={[matrix.chance]} width={200} />
            <div className="matrix-readout" role="status" aria-live="polite">
              {hover ? (
                <>
                  <div className="readout-head">{layers[hover.a]} × {layers[hover.b]}</div>
                  <div className="readout-row"><span className="readout-label">{metricLabel}</span><span className="readout-value">{formatValue(hv)}</span></div>
                </>
              ) : (
                <span className="muted">Hover a cell for its value.</span>
              )}
            </div>
          </div>
        )}
        {state === 'idle' && !matrix && <div className="chart-empty">Waiting for the first checkpoint…</div>}
        {state === 'loading' && !matrix && <div className="chart-empty">Computing…</div>}
        {state === 'error' && (
          <div className="chart-empty" role="alert">
            {message ?? 'Could not load the matrix.'} {onRetry && <button type="button" onClick={onRetry}>Retry</button>}
          </div>
        )}
      </div>
    </figure>
  );
}
