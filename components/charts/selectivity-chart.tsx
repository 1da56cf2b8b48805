'use client';
/** Class selectivity distribution per layer over training: median line, interquartile band and 10–90% band, one small chart per layer. */
import { useMemo } from 'react';
import { area, line, scaleLinear } from 'd3';
import { layerColour } from '@/lib/chart/colour';
import { formatStep } from '@/lib/chart/scales';
import { AxisBottom, AxisLeft } from './axes';
import { useWidth } from './use-width';

export interface SelectivityLayer {
  name: string;
  /** Per step [p10, p25, median, p75, p90] of the units' selectivity (null where not computed or undefined). */
  bands: Array<number[] | null>;
}

interface Props {
  steps: readonly number[];
  layers: SelectivityLayer[];
  marker?: number | null;
  height?: number;
}

const M = { top: 8, right: 8, bottom: 34, left: 40 };

function LayerBands({
  layer,
  index,
  count,
  steps,
  marker,
  width,
  height,
}: {
  layer: SelectivityLayer;
  index: number;
  count: number;
  steps: readonly number[];
  marker: number | null;
  width: number;
  height: number;
}) {
  const innerW = Math.max(0, width - M.left - M.right),
    innerH = height - M.top - M.bottom;
  const colour = layerColour(index, count);
  const { x, y, outer, inner, median } = useMemo(() => {
    const idx = steps.map((_, c) => c).filter((c) => layer.bands[c]);
    const x = scaleLinear()
      .domain(steps.length > 1 ? [steps[0], steps[steps.length - 1]] : [0, Math.max(1, steps[0] ?? 1)])
      .range([0, innerW]);
    const y = scaleLinear().domain([0, 1]).range([innerH, 0]);
    const band = (lo: number, hi: number) =>
      area<number>()
        .x((c) => x(steps[c]))
        .y0((c) => y(layer.bands[c]![lo]))
        .y1((c) => y(layer.bands[c]![hi]))(idx) ?? '';
    return {
      x,
      y,
      outer: band(0, 4),
      inner: band(1, 3),
      median:
        line<number>()
          .x((c) => x(steps[c]))
          .y((c) => y(layer.bands[c]![2]))(idx) ?? '',
    };
  }, [layer, steps, innerW, innerH]);
  const last = [...layer.bands].reverse().find((b) => b);
  return (
    <figure className="chart" data-layer={layer.name} style={{ margin: 0 }}>
      <figcaption>
        <span className="chart-desc">
          {layer.name}
          {last ? `: median ${last[2].toFixed(2)}` : ''}
        </span>
      </figcaption>
      <svg width={width} height={height} role="img" aria-label={`${layer.name}: class selectivity distribution over training`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <AxisLeft scale={y} at={0} label="selectivity" ticks={3} titleOffset={30} />
          <AxisBottom scale={x} at={innerH} label="step" ticks={3} format={formatStep} titleOffset={28} integer />
          <path d={outer} fill={colour} opacity={0.18} />
          <path d={inner} fill={colour} opacity={0.35} />
          <path d={median} fill="none" stroke={colour} strokeWidth={1.5} />
          {marker != null && <line className="marker" x1={x(marker)} x2={x(marker)} y1={0} y2={innerH} />}
        </g>
      </svg>
    </figure>
  );
}

/** Renders one band chart per layer (input side first). */
export function SelectivityChart({ steps, layers, marker = null, height = 140 }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const cols = width > 900 ? 4 : width > 560 ? 3 : width > 340 ? 2 : 1;
  const cellW = Math.floor((width - (cols - 1) * 8) / cols);
  const points = layers.reduce((n, l) => n + l.bands.filter((b) => b).length, 0);
  return (
    <div className="chart" data-testid="selectivity-chart" data-points={points}>
      <p className="chart-desc">Median (line), 25–75% and 10–90% of units. 0: a unit responds equally to every class; 1: to one class only.</p>
      <div ref={ref} style={{ display: 'grid', gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`, gap: 8 }}>
        {width > 0 &&
          points > 0 &&
          layers.map((l, i) => (
            <LayerBands key={l.name} layer={l} index={i} count={layers.length} steps={steps} marker={marker} width={cellW} height={height} />
          ))}
      </div>
      {points === 0 && (
        <div className="muted" style={{ fontSize: 'var(--text-sm)' }}>
          Waiting for the first concept statistics…
        </div>
      )}
    </div>
  );
}
