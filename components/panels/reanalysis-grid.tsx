'use client';
/** The re-analysed grid shown beside the original: the same heatmap, legend and values table, for the chosen key. */
import { useMemo, useRef } from 'react';
import { gridData } from '@/lib/chart/export';
import { ColourLegend } from '@/components/charts/colour-legend';
import { ConvergenceHeatmap, type HeatmapSource } from '@/components/charts/convergence-heatmap';
import { ExportMenu } from '@/components/charts/export-menu';
import { HeatmapTable } from '@/components/charts/heatmap-table';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { reanalysisLabel } from '@/store/slices/reanalysis';
import { selectReplayIndex } from '@/store/slices/timeline';
import { useThrottledSelection } from '@/store/use-throttled';

const changed = (n: LayerwatchState, p: LayerwatchState) => n.reanalysis.version !== p.reanalysis.version || n.reanalysis.shown !== p.reanalysis.shown;
const select = (s: LayerwatchState) => {
  const key = s.reanalysis.shown;
  const grid = key ? s.reanalysis.grids[key] : undefined;
  return key && grid ? { key, grid, version: s.reanalysis.version } : null;
};

/** Renders the grid of `reanalysis.shown` (nothing when none is shown). */
export function ReanalysisGrid({ height }: { height: number }) {
  const store = useLayerwatchApi();
  const view = useThrottledSelection(select, changed, 300);
  const marker = useLayerwatch(selectReplayIndex);
  const figRef = useRef<HTMLElement | null>(null);
  const source = useMemo<HeatmapSource>(
    () => ({
      read: () => {
        const v = select(store.getState());
        return v ? { layers: v.grid.layers, steps: v.grid.steps, values: v.grid.toNewest, k: v.grid.k } : null;
      },
      subscribe: (onChange) => store.subscribe((n, p) => changed(n, p) && onChange()),
    }),
    [store],
  );
  if (!view) return null;
  const label = reanalysisLabel(view.key);
  const g = view.grid;
  return (
    <figure className="chart" ref={figRef} data-testid="reanalysis-figure" data-key={view.key}>
      <figcaption className="chart-titlebar chart-desc">
        <span>
          Re-analysis: {label}
          {g.pending > 0 ? ` · ${g.pending} cells to go` : ''}
        </span>
        <ExportMenu
          title={`Convergence re-analysis (${label})`}
          target={figRef}
          data={() => gridData(g.layers, g.steps, g.toNewest, { k: g.k, meta: { key: view.key, metric: g.metric, reference: g.reference, chance: g.chance } })}
        />
      </figcaption>
      <ConvergenceHeatmap
        source={source}
        height={height}
        markerColumn={marker >= 0 && marker < g.steps.length ? marker : null}
        valueLabel={`${label} to final`}
        testId="reanalysis-heatmap"
      />
      <div className="legend-row" style={{ height: 62 }}>
        <ColourLegend ramp="viridis" domain={[0, 1]} label={`${label} to final`} chance={g.chance} />
      </div>
      <HeatmapTable
        testId="reanalysis-values"
        caption={`Re-analysis ${label}: each layer to its final state`}
        version={view.version}
        layers={g.layers}
        steps={g.steps}
        values={g.toNewest}
        k={g.k}
        pending={g.pending}
        reference={g.reference}
      />
    </figure>
  );
}
