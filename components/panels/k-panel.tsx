'use client';
/** k per layer over time, for the selected metric (SVCCA kinds only). */
import { KChart } from '@/components/charts/k-chart';
import { useLayerwatch } from '@/store/provider';
import { useThrottledSelection } from '@/store/use-throttled';
import { selectMetric, selectScrubIndex } from '@/store/slices/view';
import { gridChanged, selectGridView } from './convergence-panel';
import { hasK, METRIC_LABEL } from './metric-info';
import { selectAnalysisPercent } from './analysis-progress';

const NONE: never[] = [];

/** Renders the k chart at the given plot height. */
export function KPanel({ height }: { height: number }) {
  const metric = useLayerwatch(selectMetric);
  const marker = useLayerwatch((s) => (s.view.scrub === null ? null : (s.run.steps[selectScrubIndex(s)] ?? null)));
  const view = useThrottledSelection(selectGridView, gridChanged, 1000);
  const analysing = useLayerwatch(selectAnalysisPercent) !== null;
  const checkpoints = useLayerwatch((s) => s.run.steps.length);
  const emptyText = analysing
    ? 'Analysing the stored activations…'
    : !view && checkpoints > 0
      ? `${METRIC_LABEL[metric]} was not computed for this run.`
      : undefined;
  return (
    <KChart
      emptyText={emptyText}
      version={view?.version ?? 0}
      layers={view?.grid.layers ?? NONE}
      steps={view?.grid.steps ?? NONE}
      k={view?.grid.k ?? NONE}
      applies={hasK(metric)}
      marker={marker}
      height={height}
    />
  );
}
