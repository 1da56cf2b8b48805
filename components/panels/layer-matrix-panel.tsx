'use client';
/** Layer × layer similarity at the scrubbed checkpoint, fetched with the `layer-matrix` request (cached per run, metric and step). */
import { useCallback, useEffect, useRef, useState } from 'react';
import { LayerMatrix as LayerMatrixSchema, type LayerMatrix } from '@/lib/protocol/analysis';
import { LayerMatrix as LayerMatrixChart } from '@/components/charts/layer-matrix';
import { formatStep } from '@/lib/chart/scales';
import { useLayerwatch, useLiveSocket } from '@/store/provider';
import { RequestError } from '@/store/live-socket';
import { selectMetric, selectScrubIndex } from '@/store/slices/view';
import { METRIC_LABEL } from './metric-info';

type Load = { state: 'idle' | 'loading' | 'ready' | 'error'; matrix: LayerMatrix | null; message?: string };

/** Renders the matrix chart for the checkpoint under the scrubber. */
export function LayerMatrixPanel({ height }: { height: number }) {
  const socket = useLiveSocket();
  const runId = useLayerwatch((s) => s.run.id);
  const metric = useLayerwatch(selectMetric);
  const step = useLayerwatch((s) => s.run.steps[selectScrubIndex(s)] ?? null);
  const connected = useLayerwatch((s) => s.connection.status === 'open');
  const [load, setLoad] = useState<Load>({ state: 'idle', matrix: null });
  const cache = useRef(new Map<string, LayerMatrix>());
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!runId || step === null || !connected) return;
    const key = `${runId}:${metric}@${step}`;
    const hit = cache.current.get(key);
    if (hit) return setLoad({ state: 'ready', matrix: hit });
    let cancelled = false;
    setLoad((l) => ({ state: 'loading', matrix: l.matrix }));
    // Debounced: dragging the scrubber asks only for where it stops.
    const timer = setTimeout(() => {
      socket
        .request('layer-matrix', runId, { step, metric })
        .then((data) => {
          const parsed = LayerMatrixSchema.safeParse(data);
          if (!parsed.success) throw new RequestError('BAD_RESPONSE', 'the server answered with an unexpected layer matrix');
          cache.current.set(key, parsed.data);
          if (!cancelled) setLoad({ state: 'ready', matrix: parsed.data });
        })
        .catch((err: unknown) => {
          if (cancelled) return;
          const e = err as RequestError;
          const message = e.code === 'BAD_REQUEST' && /unknown request/.test(e.message) ? 'This server does not compute layer × layer similarity yet.' : e.message;
          setLoad({ state: 'error', matrix: null, message });
        });
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [socket, runId, metric, step, connected, attempt]);

  const retry = useCallback(() => setAttempt((a) => a + 1), []);
  const m = load.matrix;
  return (
    <LayerMatrixChart
      title="Layer × layer similarity"
      description={`${METRIC_LABEL[metric]} between every pair of layers${m ? ` at step ${formatStep(m.step)}` : ''}.`}
      matrix={m ? { rows: m.layers, cols: m.layers, values: m.values, chance: m.chance } : null}
      state={load.state}
      message={load.message}
      metricLabel={METRIC_LABEL[metric]}
      rowTitle="layer (input at bottom)"
      colTitle="layer (input at left)"
      height={height}
      onRetry={retry}
    />
  );
}
