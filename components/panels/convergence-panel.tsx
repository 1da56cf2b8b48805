'use client';
/** Convergence panel: metric selector, heatmap (canvas, fed by `subscribe`), colour legend, values table and per-layer curves. */
import { useCallback, useMemo } from 'react';
import type { ConvergenceGrid, MetricName } from '@/lib/protocol/analysis';
import type { Cell } from '@/lib/chart/heatmap-raster';
import { ColourLegend } from '@/components/charts/colour-legend';
import { ConvergenceHeatmap, type HeatmapSource } from '@/components/charts/convergence-heatmap';
import { HeatmapTable } from '@/components/charts/heatmap-table';
import { LayerCurves } from '@/components/charts/layer-curves';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectMetric, selectScrubIndex } from '@/store/slices/view';
import { METRIC_LABEL } from './metric-info';
import { MetricSelector } from './metric-selector';

/** A copy of the selected grid (the store's grids are patched in place), taken at most a few times a second. */
export interface GridView {
  metric: MetricName;
  layers: string[];
  steps: number[];
  toNewest: Cell[][];
  k: Cell[][];
  chance: Cell[];
  pending: number;
  reference: number | null;
}

/** Copies the selected metric's grid for React-rendered views. */
export function selectGridView(s: LayerwatchState): GridView | null {
  const metric = selectMetric(s);
  const g: ConvergenceGrid | undefined = s.convergence.grids[metric];
  if (!g) return null;
  return { metric, layers: [...g.layers], steps: [...g.steps], toNewest: g.toNewest.map((r) => r.slice()), k: g.k.map((r) => r.slice()), chance: [...g.chance], pending: g.pending, reference: g.reference };
}

/** Whether the grid or the metric changed. */
export const gridChanged = (n: LayerwatchState, p: LayerwatchState) => n.convergence.version !== p.convergence.version || n.view.metric !== p.view.metric;

/** Renders the panel. */
export function ConvergencePanel() {
  const store = useLayerwatchApi();
  const metric = useLayerwatch(selectMetric);
  const scrubbed = useLayerwatch((s) => (s.view.scrub === null ? null : selectScrubIndex(s)));
  const scrubStep = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const setScrub = useLayerwatch((s) => s.setScrub);
  const view = useThrottledSelection(selectGridView, gridChanged, 300);
  const runEnded = useLayerwatch((s) => s.run.meta !== null && s.run.meta.status !== 'live');

  const source = useMemo<HeatmapSource>(
    () => ({
      read: () => {
        const s = store.getState();
        const m = selectMetric(s);
        const g = s.convergence.grids[m];
        return g ? { layers: g.layers, steps: g.steps, values: g.toNewest, stale: s.convergence.stale[m], k: g.k } : null;
      },
      subscribe: (onChange) => store.subscribe((n, p) => gridChanged(n, p) && onChange()),
    }),
    [store],
  );
  const onSelectColumn = useCallback((c: number) => setScrub(c), [setScrub]);
  const label = METRIC_LABEL[metric];

  return (
    <section className="panel convergence-panel" aria-labelledby="convergence-title">
      <header className="panel-head">
        <h2 id="convergence-title">Convergence</h2>
        <MetricSelector />
      </header>
      <p className="chart-desc">
        Similarity of each layer at each checkpoint to the same layer {runEnded ? 'at the end of the run' : 'at the newest checkpoint'} ({label}). Bright = settled.
        {view && view.pending > 0 ? <span className="pending"> Computing {view.pending} cells…</span> : null}
      </p>
      <ConvergenceHeatmap source={source} height={240} markerColumn={scrubbed} onSelectColumn={onSelectColumn} valueLabel={`${label} to newest`} />
      <div className="legend-row">
        <ColourLegend ramp="viridis" domain={[0, 1]} label={`${label} to newest`} chance={view?.chance ?? []} />
        <span className="muted">Dimmed cells: value for the previous reference, being recomputed. Click a column to scrub.</span>
      </div>
      {view && (
        <HeatmapTable caption={`${label} of each layer to its newest state, per checkpoint`} layers={view.layers} steps={view.steps} values={view.toNewest} k={view.k} pending={view.pending} reference={view.reference} />
      )}
      <LayerCurves layers={view?.layers ?? []} steps={view?.steps ?? []} values={view?.toNewest ?? []} chance={view?.chance ?? []} metricLabel={label} marker={scrubbed === null ? null : scrubStep} height={200} />
    </section>
  );
}
