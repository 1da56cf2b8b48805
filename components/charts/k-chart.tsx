'use client';
/** k per layer over steps: how many SVD directions the SVCCA metrics kept (a step function that makes curves jump). */
import { useMemo } from 'react';
import type { Cell } from '@/lib/chart/heatmap-raster';
import { finiteExtent, unionExtent } from '@/lib/chart/scales';
import { gridSeries } from './grid-series';
import { LineChart } from './line-chart';

interface Props {
  /** Changes whenever the (in-place patched) grid does. */
  version: number;
  layers: readonly string[];
  steps: readonly number[];
  k: ReadonlyArray<ReadonlyArray<Cell>>;
  /** False for metrics without k (CKA, PWCCA). */
  applies: boolean;
  marker?: number | null;
  height: number;
  /** What to say while there is nothing to draw (for a metric that has k). */
  emptyText?: string;
}

/** Renders k per layer as step curves. */
export function KChart({ version, layers, steps, k, applies, marker, height, emptyText = 'Waiting for the first checkpoints…' }: Props) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: version: the grids are patched in place, version says when (store/README.md)
  const series = useMemo(() => (applies ? gridSeries(layers, steps, k) : []), [applies, layers, steps, k, version]);
  // k is a small integer: start the axis at 0 so a constant k does not look like noise around it.
  const top = unionExtent(series.map((s) => finiteExtent(s.ys, s.length)))?.[1] ?? 10;
  return (
    <LineChart
      testId="k-chart"
      title="Directions kept (k)"
      description="SVD directions per layer kept by SVCCA; a jump in k moves the curves."
      xLabel="step"
      yLabel="k (directions)"
      series={series}
      curve="step"
      yDomain={[0, Math.ceil(top * 1.15) + 1]}
      marker={marker}
      height={height}
      yFormat={(v) => String(v)}
      yInteger
      legend={false}
      emptyText={applies ? emptyText : 'k applies to the SVCCA metrics only; pick SVCCA (fixed k) or SVCCA (99%).'}
    />
  );
}
