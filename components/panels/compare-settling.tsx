'use client';
/**
 * Which run's layers settled first: one row per layer, one column per compared run, each cell the step from which the
 * layer stays ≥ 0.95 similar to its run's reference (newest, or final once ended; the run page's "settled" reading),
 * with the run's freeze advice and confirmed freezes; the earliest run per layer is marked.
 */
import { settlingSummary } from '@/lib/chart/convergence-summary';
import { runColour } from '@/lib/chart/colour';
import { formatStep } from '@/lib/chart/scales';
import { settleOrder } from '@/lib/compare/settle-order';
import type { MetricName } from '@/lib/protocol/analysis';
import { useThrottledSelection } from '@/store/use-throttled';
import { compareChanged, selectCompareRuns, type CompareRun } from '@/store/slices/compare';
import { SETTLED } from '@/lib/chart/convergence-summary';
import type { ComparedRun } from './compare-scalars';
import { METRIC_LABEL } from './metric-info';

/** Per layer, the step it settled from in this run (absent: changing, not yet, or no grid for the metric). */
function settledSteps(r: CompareRun | undefined, metric: MetricName): Map<string, number> {
  const out = new Map<string, number>();
  const grid = r?.grids[metric];
  if (!grid) return out;
  settlingSummary(grid, SETTLED).layers.forEach((s, l) => s.state === 'settled' && out.set(grid.layers[l], grid.steps[s.from]));
  return out;
}

/** Renders the table, or what is missing. */
export function CompareSettling({ runs, metric }: { runs: readonly ComparedRun[]; metric: MetricName }) {
  const state = useThrottledSelection(selectCompareRuns, compareChanged, 500);
  const tracked = runs.map((r) => state[r.id]);
  const rows = settleOrder(tracked.map((r) => ({ layers: r?.grids[metric]?.layers ?? r?.layers ?? [], settled: settledSteps(r, metric) })));
  const missing = runs.filter((_, i) => tracked[i]?.load === 'ready' && !tracked[i]?.grids[metric]);
  return (
    <div data-testid="compare-settling">
      <h2 className="chart-title">Layers settled, run by run</h2>
      <p className="chart-desc">
        Step from which each layer stays ≥ {SETTLED} similar ({METRIC_LABEL[metric]}) to its own run&apos;s reference (the final state of an ended run, the
        newest of a live one); <strong>first</strong> marks the run that settled the layer earliest.
      </p>
      {missing.length > 0 && (
        <p className="muted small">
          No {METRIC_LABEL[metric]} convergence for {missing.map((r) => r.name).join(', ')}: pick a metric the server computed live.
        </p>
      )}
      {rows.length === 0 ? (
        <p className="empty">Layer readings appear with the runs&apos; first checkpoints.</p>
      ) : (
        <div className="table-scroll">
          <table className="layer-table compare-table">
            <caption className="sr-only">Step each layer settled from, per run</caption>
            <thead>
              <tr>
                <th scope="col">layer</th>
                {runs.map((r, i) => (
                  <th key={r.id} scope="col" className="num">
                    <span className="swatch" style={{ background: runColour(i) }} />
                    {r.name}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.layer} data-layer={row.layer}>
                  <th scope="row">{row.layer}</th>
                  {row.steps.map((step, i) => {
                    const r = tracked[i];
                    const advised = r?.advice.find((a) => a.layer === row.layer);
                    const frozen = r?.frozen.find((f) => f.layer === row.layer);
                    const first = row.first.includes(i);
                    return (
                      <td key={runs[i].id} className="num" data-run={runs[i].id} data-settled={step ?? ''} data-first={first}>
                        {step === null ? <span className="muted">changing</span> : <>since {formatStep(step)}</>}
                        {first && <strong className="first-mark"> first</strong>}
                        {frozen ? (
                          <span className="badge badge-frozen">frozen @ {formatStep(frozen.step)}</span>
                        ) : advised ? (
                          <span className="badge badge-advised">advised @ {formatStep(advised.step)}</span>
                        ) : null}
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}
