'use client';
/** Layer × layer similarity at the scrubbed checkpoint, fetched with the `layer-matrix` request (cached per run, metric and step). */
import { useCallback, useRef, useState } from 'react';
import type { LayerMatrix } from '@/lib/protocol/analysis';
import { LayerMatrix as LayerMatrixChart } from '@/components/charts/layer-matrix';
import { formatStep } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { useLiveRequest } from '@/store/use-live-request';
import { selectMetric, selectScrubIndex } from '@/store/slices/view';
import { METRIC_LABEL } from './metric-info';

/** Renders the matrix chart for the checkpoint under the scrubber. */
export function LayerMatrixPanel({ height }: { height: number }) {
  const runId = useLayerwatch((s) => s.run.id);
  const metric = useLayerwatch(selectMetric);
  const step = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const cache = useRef(new Map<string, LayerMatrix>());
  const [attempt, setAttempt] = useState(0);
  // Debounced: dragging the scrubber asks only for where it stops.
  const load = useLiveRequest(
    'layer-matrix',
    runId,
    { step: step ?? undefined, metric },
    { refresh: attempt, enabled: step !== null, delayMs: 200, cache: cache.current },
  );
  const message =
    load.code === 'BAD_REQUEST' && /unknown request/.test(load.message ?? '') ? 'This server does not compute layer × layer similarity yet.' : load.message;

  const retry = useCallback(() => setAttempt((a) => a + 1), []);
  const m = load.state === 'error' ? null : load.data;
  return (
    <LayerMatrixChart
      title="Layer × layer similarity"
      description={`${METRIC_LABEL[metric]} between every pair of layers${m ? ` at step ${formatStep(m.step)}` : ''}.`}
      matrix={m ? { rows: m.layers, cols: m.layers, values: m.values, chance: m.chance } : null}
      state={load.state}
      message={message}
      metricLabel={METRIC_LABEL[metric]}
      rowTitle="layer (input at bottom)"
      colTitle="layer (input at left)"
      height={height}
      onRetry={retry}
    />
  );
}
