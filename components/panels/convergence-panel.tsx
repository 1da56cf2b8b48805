'use client';
/**
 * Convergence panel body: the heatmap (canvas, fed by `subscribe`) with advice markers, its colour legend with the
 * chance baseline, the values table for machines; expanded, also the per-layer curves, re-analysis and its grid beside.
 */
import { useCallback, useMemo, useRef } from 'react';
import type { ConvergenceGrid, MetricName } from '@/lib/protocol/analysis';
import { gridData } from '@/lib/chart/export';
import { ColourLegend } from '@/components/charts/colour-legend';
import { ConvergenceHeatmap, type HeatmapSource } from '@/components/charts/convergence-heatmap';
import { ExportMenu } from '@/components/charts/export-menu';
import { HeatmapTable } from '@/components/charts/heatmap-table';
import { LayerCurves } from '@/components/charts/layer-curves';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectMetric, selectScrubIndex } from '@/store/slices/view';
import { selectReplay } from '@/store/slices/timeline';
import { METRIC_LABEL, SVCCA_PAPER } from './metric-info';
import { ReanalysisGrid } from './reanalysis-grid';
import { ReanalysisControls } from './reanalysis-controls';
import { useScrub } from './use-scrub';
import { AnalysisProgressNote, selectAnalysisPercent } from './analysis-progress';
import { sketchNote } from './sketch-note';

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
const LEGEND_H = 62;
const DESC_H = 22;

/** Whether the grid or the metric changed. */
export const gridChanged = (n: LayerwatchState, p: LayerwatchState) => n.convergence.version !== p.convergence.version || n.view.metric !== p.view.metric;

/** Renders the panel body at the height its frame gives it (collapsed) or at its natural size (expanded). */
export function ConvergencePanel({ height, open }: { height: number; open: boolean }) {
  const store = useLayerwatchApi();
  const metric = useLayerwatch(selectMetric);
  const scrubbed = useLayerwatch((s) => (s.view.scrub === null ? null : selectScrubIndex(s)));
  const scrubStep = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const scrub = useScrub();
  const view = useThrottledSelection(selectGridView, gridChanged, 500);
  const replay = useLayerwatch(selectReplay);
  const checkpoints = useLayerwatch((s) => s.run.steps.length);
  const shown = useLayerwatch((s) => s.reanalysis.shown);
  const analysing = useLayerwatch(selectAnalysisPercent) !== null;
  const runLayers = useLayerwatch((s) => s.run.layers);
  const figRef = useRef<HTMLElement | null>(null);

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
    () =>
      view
        ? advice
            .map((a) => ({ l: view.grid.layers.indexOf(a.layer), c: view.grid.steps.indexOf(a.step), label: `freeze ${a.layer}` }))
            .filter((m) => m.l >= 0 && m.c >= 0)
        : [],
    [advice, view],
  );
  const onSelectColumn = useCallback((c: number) => scrub.seek(c), [scrub]);
  const label = METRIC_LABEL[metric];
  const reference = view?.grid.reference ?? null;
  const heatH = open ? 300 : Math.max(120, height - LEGEND_H - DESC_H - 4);
  const exportData = () => {
    const g = store.getState().convergence.grids[metric];
    return g ? gridData(g.layers, g.steps, g.toNewest, { k: g.k, meta: { metric, reference: g.reference, chance: g.chance, advice } }) : null;
  };
  const title = `Convergence heatmap (${label})`;
  const sketches = sketchNote(metric, runLayers, view?.grid.layers, view?.grid.k);
  const sideBySide = open && shown !== null;

  return (
    <>
      <div className="chart-titlebar chart-desc" style={{ height: DESC_H }}>
        <span className="one-line">
          {analysing ? (
            <AnalysisProgressNote />
          ) : (
            <>
              Similarity of each layer to itself {reference === null ? 'at the newest checkpoint' : `at step ${reference}`} (
              <a href={SVCCA_PAPER} target="_blank" rel="noreferrer">
                SVCCA, Raghu et al. 2017
              </a>
              ). Bright = settled.
              {view && view.grid.pending > 0 ? <span className="pending"> Computing {view.grid.pending} cells…</span> : null}
            </>
          )}
        </span>
        <ExportMenu title={title} target={figRef} data={exportData} />
      </div>
      <div className={sideBySide ? 'grid-pair' : undefined}>
        <figure className="chart" ref={figRef} data-testid="convergence-figure">
          {sideBySide && <figcaption className="chart-desc">Original: {label}</figcaption>}
          <ConvergenceHeatmap
            source={source}
            height={heatH}
            markerColumn={scrubbed}
            onSelectColumn={onSelectColumn}
            valueLabel={`${label} to reference`}
            markers={markers}
            emptyText={
              analysing
                ? 'Analysing the stored activations…'
                : !view && checkpoints > 0
                  ? `${label} was not computed for this run${replay ? ' — expand the panel to re-analyse with it' : ' yet'}, or press m for the next metric.`
                  : undefined
            }
          />
          <div className="legend-row" style={{ height: LEGEND_H }}>
            <ColourLegend ramp="viridis" domain={[0, 1]} label={`${label} to reference`} chance={view?.grid.chance ?? []} />
            <span className="muted legend-note">
              {sketches ? <span data-testid="sketch-note">{sketches} </span> : null}Dimmed: being recomputed. Dashed outline: freeze advised. Click a column to
              scrub.
            </span>
          </div>
        </figure>
        {sideBySide && <ReanalysisGrid height={heatH} />}
      </div>
      {view && (
        <HeatmapTable
          caption={`${label} of each layer to its state at the reference step, per checkpoint`}
          version={view.version}
          layers={view.grid.layers}
          steps={view.grid.steps}
          values={view.grid.toNewest}
          k={view.grid.k}
          pending={view.grid.pending}
          reference={view.grid.reference}
        />
      )}
      {open && (
        <>
          {replay && <ReanalysisControls />}
          <LayerCurves
            emptyText={analysing ? 'Analysing the stored activations…' : view ? undefined : `${label} was not computed for this run.`}
            version={view?.version ?? 0}
            layers={view?.grid.layers ?? NONE}
            steps={view?.grid.steps ?? NONE}
            values={view?.grid.toNewest ?? NONE}
            chance={view?.grid.chance ?? NONE}
            metricLabel={label}
            marker={scrubbed === null ? null : scrubStep}
            height={220}
          />
        </>
      )}
    </>
  );
}
