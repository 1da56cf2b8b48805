'use client';
/** Concept emergence (Bau et al. 2017, live): per layer, unique detectors over training stacked by concept category, with the chance baseline. */
import { useMemo } from 'react';
import { area, scaleLinear, stack } from 'd3';
import { categoryColour } from '@/lib/chart/concept-colours';
import { formatStep } from '@/lib/chart/scales';
import { AxisBottom, AxisLeft } from './axes';
import { useWidth } from './use-width';

export interface EmergenceLayer {
  name: string;
  /** Unique detectors per category at each step (null where not computed yet). */
  byCategory: Array<number[] | null>;
  /** Unique detectors on random activations of the layer's shape. */
  chance: number | null;
}

interface Props {
  steps: readonly number[];
  categories: readonly string[];
  layers: EmergenceLayer[];
  /** Concepts in the probe set: the y axis tops out there. */
  concepts: number;
  marker?: number | null;
  height?: number;
}

const M = { top: 8, right: 8, bottom: 34, left: 40 };

/** One layer's stacked areas. */
function LayerPanel({
  layer,
  steps,
  categories,
  concepts,
  marker,
  width,
  height,
}: {
  layer: EmergenceLayer;
  steps: readonly number[];
  categories: readonly string[];
  concepts: number;
  marker: number | null;
  width: number;
  height: number;
}) {
  const innerW = Math.max(0, width - M.left - M.right),
    innerH = height - M.top - M.bottom;
  const { x, y, paths } = useMemo(() => {
    const idx = steps.map((_, c) => c).filter((c) => layer.byCategory[c]);
    const x = scaleLinear()
      .domain(steps.length > 1 ? [steps[0], steps[steps.length - 1]] : [0, Math.max(1, steps[0] ?? 1)])
      .range([0, innerW]);
    const y = scaleLinear()
      .domain([0, Math.max(1, concepts)])
      .range([innerH, 0]);
    const rows = idx.map((c) => Object.fromEntries(categories.map((cat, k) => [cat, layer.byCategory[c]![k] ?? 0])) as Record<string, number>);
    const series = stack<Record<string, number>>().keys(categories as string[])(rows);
    const gen = area<[number, number]>()
      .x((_, i) => x(steps[idx[i]]))
      .y0((d) => y(d[0]))
      .y1((d) => y(d[1]));
    return {
      x,
      y,
      paths: series.map((s, k) => ({ key: categories[k], colour: categoryColour(k), d: gen(s.map((d) => [d[0], d[1]] as [number, number])) ?? '' })),
    };
  }, [layer, steps, categories, concepts, innerW, innerH]);
  const latest = [...layer.byCategory].reverse().find((v) => v);
  const total = latest ? latest.reduce((a, b) => a + b, 0) : 0;
  return (
    <figure className="chart emergence-layer" data-layer={layer.name} data-unique={total} style={{ margin: 0 }}>
      <figcaption>
        <span className="chart-desc">
          {layer.name}: {total} unique
        </span>
      </figcaption>
      <svg width={width} height={height} role="img" aria-label={`${layer.name}: ${total} unique detectors at the newest step`}>
        <g transform={`translate(${M.left},${M.top})`}>
          <AxisLeft scale={y} at={0} label="unique" ticks={3} titleOffset={30} integer />
          <AxisBottom scale={x} at={innerH} label="step" ticks={3} format={formatStep} titleOffset={28} integer />
          {paths.map((p) => (
            <path key={p.key} d={p.d} fill={p.colour} stroke="none" opacity={0.9} />
          ))}
          {layer.chance !== null && (
            <g className="baseline">
              <line x1={0} x2={innerW} y1={y(layer.chance)} y2={y(layer.chance)} strokeDasharray="4 3" />
              <text x={innerW - 2} y={y(layer.chance) - 3} textAnchor="end">
                chance
              </text>
            </g>
          )}
          {marker != null && <line className="marker" x1={x(marker)} x2={x(marker)} y1={0} y2={innerH} />}
        </g>
      </svg>
    </figure>
  );
}

/** Renders a legend of categories and one small stacked-area chart per layer (input side first). */
export function EmergenceChart({ steps, categories, layers, concepts, marker = null, height = 150 }: Props) {
  const [ref, width] = useWidth<HTMLDivElement>();
  const points = layers.reduce((n, l) => n + l.byCategory.filter((v) => v).length, 0);
  const cols = width > 900 ? 4 : width > 560 ? 3 : width > 340 ? 2 : 1;
  const cellW = Math.floor((width - (cols - 1) * 8) / cols);
  return (
    <div className="chart" data-testid="emergence-chart" data-points={points} data-layers={layers.length}>
      <ul className="legend" aria-label="concept categories">
        {categories.map((c, k) => (
          <li key={c}>
            <span className="swatch" style={{ background: categoryColour(k) }} />
            {c}
          </li>
        ))}
        <li>
          <span className="swatch" style={{ background: 'transparent', borderTop: '2px dashed currentColor' }} />
          chance (random activations)
        </li>
      </ul>
      <div ref={ref} style={{ display: 'grid', gridTemplateColumns: `repeat(${cols}, minmax(0, 1fr))`, gap: 8 }}>
        {width > 0 &&
          points > 0 &&
          layers.map((l) => (
            <LayerPanel key={l.name} layer={l} steps={steps} categories={categories} concepts={concepts} marker={marker} width={cellW} height={height} />
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
