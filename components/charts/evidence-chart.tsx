'use client';
/** A freeze advice's evidence: the layer's similarity to itself at each earlier step of the window, against the threshold. */
import { useState } from 'react';
import { scaleLinear } from 'd3';
import { formatStep, formatValue } from '@/lib/chart/scales';

interface Props {
  steps: readonly number[];
  stability: readonly number[];
  threshold: number;
  metric: string;
  width?: number;
  height?: number;
}

/** Renders points and the threshold line, with a readout of the hovered point. */
export function EvidenceChart({ steps, stability, threshold, metric, width = 150, height = 40 }: Props) {
  const [hover, setHover] = useState<number | null>(null);
  const lo = Math.min(threshold, ...stability.filter(Number.isFinite)) - 0.01;
  const x = scaleLinear()
    .domain([Math.min(...steps), Math.max(...steps, Math.min(...steps) + 1)])
    .range([6, width - 6]);
  const y = scaleLinear()
    .domain([Math.max(0, lo), 1])
    .range([height - 5, 5]);
  return (
    <span className="evidence" data-testid="evidence-chart">
      <svg
        width={width}
        height={height}
        role="img"
        aria-label={`${metric} of the layer to itself over the window: ${stability.map((v, i) => `step ${steps[i]} ${formatValue(v)}`).join(', ')}; threshold ${threshold}`}
        onPointerLeave={() => setHover(null)}
      >
        <line className="threshold" x1={0} x2={width} y1={y(threshold)} y2={y(threshold)} />
        {stability.map((v, i) => (
          <circle
            key={steps[i]}
            cx={x(steps[i])}
            cy={y(Number.isFinite(v) ? v : lo)}
            r={hover === i ? 4 : 2.5}
            className={v >= threshold ? 'above' : 'below'}
            onPointerEnter={() => setHover(i)}
          />
        ))}
      </svg>
      <span className="evidence-readout small" aria-live="polite">
        {hover === null ? `threshold ${threshold}` : `step ${formatStep(steps[hover])}: ${formatValue(stability[hover])}`}
      </span>
    </span>
  );
}
