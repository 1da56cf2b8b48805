'use client';
/** The `compare` request between two runs, drawn as a layer × layer matrix (run A's layers up, run B's across), re-asked as either run gains checkpoints. */
import { useCallback, useEffect, useRef, useState } from 'react';
import { CompareMatrix, type MetricName } from '@/lib/protocol/analysis';
import { LayerMatrix } from '@/components/charts/layer-matrix';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { RequestError } from '@/store/live-socket';
import { useLayerwatch, useLiveSocket } from '@/store/provider';
import { METRIC_LABEL, SVCCA_PAPER } from './metric-info';

interface Props {
  a: string;
  b: string;
  metric: MetricName;
  /** A matched step, or null for the server's choice (matched newest, else each one's newest). */
  step: number | null;
  nameA: string;
  nameB: string;
}

type Load = { state: 'idle' | 'loading' | 'ready' | 'error'; data: CompareMatrix | null; message?: string };

/** Renders the matrix, its steps and the same-name layers' similarity. */
export function CompareMatrixPanel({ a, b, metric, step, nameA, nameB }: Props) {
  const socket = useLiveSocket();
  const connected = useLayerwatch((s) => s.connection.status === 'open');
  // In "newest" mode the matrix follows new checkpoints of either run (debounced below).
  const progress = useLayerwatch((s) => (step === null ? `${s.compare.runs[a]?.steps.length ?? 0}/${s.compare.runs[b]?.steps.length ?? 0}` : ''));
  const [load, setLoad] = useState<Load>({ state: 'idle', data: null });
  const [attempt, setAttempt] = useState(0);
  const seq = useRef(0);

  useEffect(() => {
    if (!connected) return;
    const my = ++seq.current;
    setLoad((l) => ({ state: 'loading', data: l.data }));
    const timer = setTimeout(() => {
      const params: Record<string, string | number> = { other: b, metric };
      if (step !== null) {
        params.step = step;
        params.otherStep = step;
      }
      socket
        .request('compare', a, params, 60_000)
        .then((raw) => {
          const parsed = CompareMatrix.safeParse(raw);
          if (!parsed.success) throw new RequestError('BAD_RESPONSE', 'the server answered with an unexpected comparison');
          if (my === seq.current) setLoad({ state: 'ready', data: parsed.data });
        })
        .catch((err: RequestError) => {
          if (my !== seq.current) return;
          setLoad({ state: 'error', data: null, message: /unknown request/i.test(err.message) ? 'This server cannot compare runs yet.' : err.message });
        });
    }, progress ? 600 : 100);
    return () => clearTimeout(timer);
  }, [socket, connected, a, b, metric, step, progress, attempt]);

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const d = load.data;
  const same = d ? d.layers[0].map((name, i) => ({ name, i, j: d.layers[1].indexOf(name) })).filter((x) => x.j >= 0) : [];
  return (
    <div data-testid="compare-matrix-panel" data-state={load.state}>
      <LayerMatrix
        testId="compare-matrix"
        title={d ? `${METRIC_LABEL[d.metric]}: ${nameA} @ ${formatStep(d.steps[0])} vs ${nameB} @ ${formatStep(d.steps[1])}` : 'Layer × layer similarity between the runs'}
        description={<>Each cell: a layer of A against a layer of B on the shared probe set (<a href={SVCCA_PAPER} target="_blank" rel="noreferrer">SVCCA paper</a>, §4). Compare with the chance baseline on the legend.</>}
        matrix={d ? { rows: d.layers[0], cols: d.layers[1], values: d.values, chance: d.chance } : null}
        state={load.state}
        message={load.message}
        metricLabel={METRIC_LABEL[metric]}
        rowTitle={`layer of A: ${nameA}`}
        colTitle={`layer of B: ${nameB}`}
        height={440}
        onRetry={retry}
        idleText="Connecting…"
      />
      {d && same.length > 0 && (
        <table className="layer-table" data-testid="compare-same-layers">
          <caption className="chart-desc" style={{ textAlign: 'left' }}>Same-name layers (the diagonal when both runs share an architecture){d.chance !== null ? `; chance ${formatValue(d.chance)}` : ''}</caption>
          <thead><tr><th scope="col">layer</th><th scope="col" className="num">{METRIC_LABEL[d.metric]}</th></tr></thead>
          <tbody>
            {same.map((x) => <tr key={x.name} data-layer={x.name}><th scope="row">{x.name}</th><td className="num" data-value={d.values[x.i][x.j] ?? ''}>{formatValue(d.values[x.i][x.j])}</td></tr>)}
          </tbody>
        </table>
      )}
    </div>
  );
}
