'use client';
/** Convergence panel: metric selector, heatmap (canvas, fed by `subscribe`), colour legend, values table and per-layer curves. */
import { useCallback, useMemo } from 'react';
import type { ConvergenceGrid, MetricName } from '@/lib/protocol/analysis';
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

/** The selected grid as React-rendered views see it, refreshed at most a few times a second. The grid is the store's
 * (patched in place, never copied: 48 × 5,000 cells), so views key their memos on `version`. */
export interface GridView {
  version: number;
  metric: MetricName;
  grid: ConvergenceGrid;
}

/** The selected metric's grid with the version it is at. */
export function selectGridView(s: LayerwatchState): GridView | null {
  const metric = selectMetric(s);
  const grid = s.convergence.grids[metric];
  return grid ? { version: s.convergence.version, metric, grid } : null;
}

const NONE: never[] = [];

/** Whether the grid or the metric changed. */
export const gridChanged = (n: LayerwatchState, p: LayerwatchState) => n.convergence.version !== p.convergence.version || n.view.metric !== p.view.metric;

/** Renders the panel. */
export function ConvergencePanel() {
  const store = useLayerwatchApi();
  const metric = useLayerwatch(selectMetric);
  const scrubbed = useLayerwatch((s) => (s.view.scrub === null ? null : selectScrubIndex(s)));
  const scrubStep = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const setScrub = useLayerwatch((s) => s.setScrub);
  const view = useThrottledSelection(selectGridView, gridChanged, 500);
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
  const advice = useLayerwatch((s) => s.run.advice);
  const markers = useMemo(
    () => (view ? advice.map((a) => ({ l: view.grid.layers.indexOf(a.layer), c: view.grid.steps.indexOf(a.step), label: `freeze ${a.layer}` })).filter((m) => m.l >= 0 && m.c >= 0) : []),
    [advice, view],
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
        {view && view.grid.pending > 0 ? <span className="pending"> Computing {view.grid.pending} cells…</span> : null}
      </p>
      <ConvergenceHeatmap source={source} height={240} markerColumn={scrubbed} onSelectColumn={onSelectColumn} valueLabel={`${label} to newest`} markers={markers} />
      <div className="legend-row">
        <ColourLegend ramp="viridis" domain={[0, 1]} label={`${label} to newest`} chance={view?.grid.chance ?? []} />
        <span className="muted">
          Dimmed cells: value for the previous reference, being recomputed. Outlined cell: the server advised freezing that layer there. Click a column to scrub.
        </span>
      </div>
      {view && (
        <HeatmapTable caption={`${label} of each layer to its newest state, per checkpoint`} version={view.version} layers={view.grid.layers} steps={view.grid.steps} values={view.grid.toNewest} k={view.grid.k} pending={view.grid.pending} reference={view.grid.reference} />
      )}
      <LayerCurves version={view?.version ?? 0} layers={view?.grid.layers ?? NONE} steps={view?.grid.steps ?? NONE} values={view?.grid.toNewest ?? NONE} chance={view?.grid.chance ?? NONE} metricLabel={label} marker={scrubbed === null ? null : scrubStep} height={200} />
    </section>
  );
}
