'use client';
/** Per-layer curves of similarity to the newest (or final) state over steps: the paper's convergence figure, one colour per layer. */
import { useMemo } from 'react';
import type { Cell } from '@/lib/chart/heatmap-raster';
import { gridSeries } from './grid-series';
import { LineChart } from './line-chart';

interface Props {
  /** Changes whenever the (in-place patched) grid does. */
  version: number;
  layers: readonly string[];
  steps: readonly number[];
  values: ReadonlyArray<ReadonlyArray<Cell>>;
  chance: ReadonlyArray<Cell>;
  metricLabel: string;
  marker?: number | null;
  height: number;
  /** What to say while there is nothing to draw. */
  emptyText?: string;
}

/** Renders the curves with the mean chance baseline. */
export function LayerCurves({ version, layers, steps, values, chance, metricLabel, marker, height, emptyText = 'Waiting for the first checkpoints…' }: Props) {
  // biome-ignore lint/correctness/useExhaustiveDependencies: version: the grids are patched in place, version says when (store/README.md)
  const series = useMemo(() => gridSeries(layers, steps, values), [layers, steps, values, version]);
  const finite = chance.filter((c): c is number => c !== null && Number.isFinite(c));
  const baselines = finite.length ? [{ y: finite.reduce((a, b) => a + b, 0) / finite.length, label: 'chance (mean over layers)' }] : [];
  return (
    <LineChart
      testId="layer-curves"
      title="Per-layer convergence"
      description="Similarity of each layer to its newest state; lower layers settle first."
      xLabel="step"
      yLabel={`${metricLabel} to newest`}
      series={series}
      yDomain={[0, 1]}
      baselines={baselines}
      marker={marker}
      height={height}
      legend
      emptyText={emptyText}
    />
  );
}
