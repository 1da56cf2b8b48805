'use client';
/** A tiny line of a run's main scalar, for the run list: no axes, the last point marked, the range in its label, a hover readout. */
import { useState, type PointerEvent } from 'react';
import { line, scaleLinear } from 'd3';
import { finiteExtent, formatStep, formatValue, nearestIndex, valueDomain } from '@/lib/chart/scales';

interface SparklineProps {
  xs: readonly number[];
  ys: readonly number[];
  width?: number;
  height?: number;
  label: string;
}

/** Renders the sparkline, or a dash placeholder of the same size before there are two points. */
export function Sparkline({ xs, ys, width = 120, height = 28, label }: SparklineProps) {
  const [hover, setHover] = useState<number | null>(null);
  if (xs.length < 2)
    return (
      <svg className="sparkline" width={width} height={height} role="img" aria-label={`${label}: not enough points yet`}>
        <line className="spark-empty" x1={2} x2={width - 2} y1={height / 2} y2={height / 2} />
      </svg>
    );
  const x = scaleLinear()
    .domain([xs[0], xs[xs.length - 1]])
    .range([2, width - 4]);
  const ext = finiteExtent(ys);
  const y = scaleLinear()
    .domain(valueDomain(ext, 0.1))
    .range([height - 3, 3]);
  const d =
    line<number>()
      .defined((i) => Number.isFinite(ys[i]))
      .x((i) => x(xs[i]))
      .y((i) => y(ys[i]))(xs.map((_, i) => i)) ?? '';
  const last = ys.length - 1;
  const at = hover ?? last;
  const onMove = (e: PointerEvent<SVGSVGElement>) => setHover(nearestIndex(xs, xs.length, x.invert(e.clientX - e.currentTarget.getBoundingClientRect().left)));
  return (
    <span className="spark-wrap" style={{ position: 'relative', display: 'inline-block' }}>
      <svg
        className="sparkline"
        width={width}
        height={height}
        role="img"
        aria-label={`${label}: last ${formatValue(ys[last])}, range ${formatValue(ext?.[0])} to ${formatValue(ext?.[1])}`}
        onPointerMove={onMove}
        onPointerLeave={() => setHover(null)}
      >
        <path d={d} />
        <circle cx={x(xs[at])} cy={y(Number.isFinite(ys[at]) ? ys[at] : 0)} r={hover === null ? 2.2 : 3} />
      </svg>
      {hover !== null && (
        <span className="readout spark-readout" role="status" style={{ left: width + 4, top: -4, minWidth: 0 }}>
          step {formatStep(xs[hover])}: <strong>{formatValue(ys[hover])}</strong>
        </span>
      )}
    </span>
  );
}
