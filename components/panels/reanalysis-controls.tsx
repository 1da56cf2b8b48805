'use client';
/**
 * Re-analysis in a replay: recompute convergence from the stored activations with another metric, k or variance
 * threshold (`reanalyse` request), with a progress bar and cancel; the result is stored beside the original and shown next to it.
 */
import { useState, type FormEvent } from 'react';
import { METRICS, type MetricName } from '@/lib/protocol/analysis';
import type { RequestError } from '@/store/live-socket';
import { useLayerwatch, useLiveSocket } from '@/store/provider';
import { reanalysisLabel } from '@/store/slices/reanalysis';
import { METRIC_LABEL } from './metric-info';

/** Renders the form, the running job's progress and the choice of grid to show beside the original. */
export function ReanalysisControls() {
  const socket = useLiveSocket();
  const runId = useLayerwatch((s) => s.run.id);
  const grids = useLayerwatch((s) => Object.keys(s.reanalysis.grids).join('\n'));
  const progress = useLayerwatch((s) => s.reanalysis.progress);
  const shown = useLayerwatch((s) => s.reanalysis.shown);
  const show = useLayerwatch((s) => s.showReanalysis);
  const [metric, setMetric] = useState<MetricName>('svcca');
  const [k, setK] = useState(20);
  const [threshold, setThreshold] = useState(0.95);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const job = shown ? progress[shown] : undefined;
  const running = job?.status === 'running';
  const keys = grids ? grids.split('\n') : [];

  const start = async (e: FormEvent) => {
    e.preventDefault();
    if (!runId) return;
    setError(null);
    setBusy(true);
    try {
      const { key } = await socket.request('reanalyse', runId, {
        metric,
        ...(metric === 'svcca-k' ? { k } : {}),
        ...(metric === 'svcca' ? { threshold } : {}),
      });
      show(key);
    } catch (err) {
      const e2 = err as RequestError;
      setError(/unknown request/i.test(e2.message) ? 'This server cannot re-analyse runs yet.' : e2.message);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => {
    if (runId && shown) socket.request('cancel-reanalysis', runId, { key: shown }).catch((err: Error) => setError(err.message));
  };

  return (
    <div className="reanalysis" data-testid="reanalysis">
      <form className="reanalysis-form" onSubmit={start} aria-label="Re-analyse the stored activations">
        <strong>Re-analyse</strong>
        <label>
          metric{' '}
          <select value={metric} onChange={(e) => setMetric(e.target.value as MetricName)} data-testid="reanalysis-metric">
            {METRICS.map((m) => (
              <option key={m} value={m}>
                {METRIC_LABEL[m]}
              </option>
            ))}
          </select>
        </label>
        {metric === 'svcca-k' && (
          <label>
            k <input type="number" min={1} max={4096} step={1} value={k} onChange={(e) => setK(Number(e.target.value))} style={{ width: 70 }} />
          </label>
        )}
        {metric === 'svcca' && (
          <label>
            variance kept{' '}
            <input
              type="number"
              min={0.5}
              max={1}
              step={0.01}
              value={threshold}
              onChange={(e) => setThreshold(Number(e.target.value))}
              style={{ width: 70 }}
              data-testid="reanalysis-threshold"
            />
          </label>
        )}
        <button type="submit" disabled={busy || running}>
          Compute
        </button>
        {keys.length > 0 && (
          <label>
            show beside{' '}
            <select value={shown ?? ''} onChange={(e) => show(e.target.value || null)} data-testid="reanalysis-shown">
              <option value="">none</option>
              {keys.map((key) => (
                <option key={key} value={key}>
                  {reanalysisLabel(key)}
                </option>
              ))}
            </select>
          </label>
        )}
      </form>
      {job && (
        <div className="reanalysis-progress" data-testid="reanalysis-progress" data-status={job.status}>
          <progress max={Math.max(1, job.total)} value={job.done} aria-label={`Re-analysis ${reanalysisLabel(job.key)}`} />
          <span className="small">
            {job.status === 'running' ? `${job.done} / ${job.total} comparisons` : job.status === 'done' ? 'done' : job.status}
            {job.message ? ` — ${job.message}` : ''}
          </span>
          {running && (
            <button type="button" onClick={cancel} data-testid="reanalysis-cancel">
              Cancel
            </button>
          )}
        </div>
      )}
      {error && (
        <p className="error-text" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
