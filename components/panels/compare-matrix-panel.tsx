'use client';
/** The `compare` request between two runs, drawn as a layer × layer matrix (run A's layers up, run B's across), re-asked as either run gains checkpoints. */
import { useCallback, useState } from 'react';
import type { MetricName } from '@/lib/protocol/analysis';
import { LayerMatrix } from '@/components/charts/layer-matrix';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { useLiveRequest } from '@/store/use-live-request';
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

/** Renders the matrix, its steps and the same-name layers' similarity. */
export function CompareMatrixPanel({ a, b, metric, step, nameA, nameB }: Props) {
  // In "newest" mode the matrix follows new checkpoints of either run (debounced longer).
  const progress = useLayerwatch((s) => (step === null ? `${s.compare.runs[a]?.steps.length ?? 0}/${s.compare.runs[b]?.steps.length ?? 0}` : ''));
  const [attempt, setAttempt] = useState(0);
  const params = step === null ? { other: b, metric } : { other: b, metric, step, otherStep: step };
  const load = useLiveRequest('compare', a, params, { refresh: `${progress}#${attempt}`, delayMs: progress ? 600 : 100, timeoutMs: 60_000 });
  const message = /unknown request/i.test(load.message ?? '') ? 'This server cannot compare runs yet.' : load.message;

  const retry = useCallback(() => setAttempt((n) => n + 1), []);
  const d = load.state === 'error' ? null : load.data;
  const same = d ? d.layers[0].map((name, i) => ({ name, i, j: d.layers[1].indexOf(name) })).filter((x) => x.j >= 0) : [];
  return (
    <div data-testid="compare-matrix-panel" data-state={load.state}>
      <LayerMatrix
        testId="compare-matrix"
        title={
          d
            ? `${METRIC_LABEL[d.metric]}: ${nameA} @ ${formatStep(d.steps[0])} vs ${nameB} @ ${formatStep(d.steps[1])}`
            : 'Layer × layer similarity between the runs'
        }
        description={
          <>
            Each cell: a layer of A against a layer of B on the shared probe set (
            <a href={SVCCA_PAPER} target="_blank" rel="noreferrer">
              SVCCA paper
            </a>
            , §4). Compare with the chance baseline on the legend.
          </>
        }
        matrix={d ? { rows: d.layers[0], cols: d.layers[1], values: d.values, chance: d.chance } : null}
        state={load.state}
        message={message}
        metricLabel={METRIC_LABEL[metric]}
        rowTitle={`layer of A: ${nameA}`}
        colTitle={`layer of B: ${nameB}`}
        height={440}
        onRetry={retry}
        idleText="Connecting…"
      />
      {d && same.length > 0 && (
        <table className="layer-table" data-testid="compare-same-layers">
          <caption className="chart-desc" style={{ textAlign: 'left' }}>
            Same-name layers (the diagonal when both runs share an architecture){d.chance !== null ? `; chance ${formatValue(d.chance)}` : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">layer</th>
              <th scope="col" className="num">
                {METRIC_LABEL[d.metric]}
              </th>
            </tr>
          </thead>
          <tbody>
            {same.map((x) => (
              <tr key={x.name} data-layer={x.name}>
                <th scope="row">{x.name}</th>
                <td className="num" data-value={d.values[x.i][x.j] ?? ''}>
                  {formatValue(d.values[x.i][x.j])}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
