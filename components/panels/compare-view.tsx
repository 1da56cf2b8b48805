'use client';
/**
 * Compare up to eight runs (seeds, learning rates, a baseline and a frozen run): their scalars overlaid, which run's
 * layers settled first, the config keys that differ, and the layer × layer similarity between two of them at a matched
 * step (or each one's newest). Every run topic stays subscribed, so it works while runs train and on past runs alike.
 * The URL holds runs, pair, metric, step and the charts' settings.
 */
import { useEffect, useMemo, useState } from 'react';
import Link from 'next/link';
import { MetricName, METRICS, type MetricName as Metric } from '@/lib/protocol/analysis';
import { runTopic } from '@/lib/protocol/live';
import { formatStep } from '@/lib/chart/scales';
import { parseCompareRuns, writeCompareRuns } from '@/lib/compare/compare-runs';
import { useLayerwatch, useLayerwatchApi, useTopic } from '@/store/provider';
import { compareChanged, selectCompareRuns } from '@/store/slices/compare';
import { useThrottledSelection } from '@/store/use-throttled';
import { CompareConfig } from './compare-config';
import { CompareMatrixPanel } from './compare-matrix-panel';
import { CompareRunPicker } from './compare-run-picker';
import { CompareScalars } from './compare-scalars';
import { CompareSettling } from './compare-settling';
import { METRIC_LABEL } from './metric-info';
import { useChartUrl } from './use-chart-url';

/** Keeps a run tracked by the compare slice and its topic subscribed while mounted. */
function TrackRun({ id }: { id: string }) {
  const store = useLayerwatchApi();
  useEffect(() => {
    store.getState().trackCompareRun(id);
    return () => store.getState().untrackCompareRun(id);
  }, [store, id]);
  useTopic(runTopic(id));
  return null;
}

/** Renders the run list, the controls and the four views. */
export function CompareView({ query }: { query: string }) {
  useTopic('runs');
  useChartUrl();
  const initial = useMemo(() => new URLSearchParams(query), [query]);
  const [parsed] = useState(() => parseCompareRuns(initial));
  const [runs, setRuns] = useState<string[]>(parsed.runs);
  const [pair, setPair] = useState<[string | null, string | null]>(() => {
    const p = (initial.get('pair') ?? '').split(',');
    return [p[0] || null, p[1] || null];
  });
  const parsedMetric = MetricName.safeParse(initial.get('metric'));
  const [metric, setMetric] = useState<Metric>(parsedMetric.success ? parsedMetric.data : 'svcca-k');
  const [step, setStep] = useState<number | null>(initial.get('step') ? Number(initial.get('step')) : null);
  const byId = useLayerwatch((s) => s.runs.byId);
  // Throttled: eight live runs send many deltas, and this re-renders the whole page.
  const compareMeta = useThrottledSelection(selectCompareRuns, compareChanged, 250);
  const meta = (id: string) => compareMeta[id]?.meta ?? byId[id] ?? null;

  // The matrix pair: the chosen two when both are still compared, else the first two runs.
  const a = pair[0] && runs.includes(pair[0]) ? pair[0] : (runs[0] ?? null);
  const b = pair[1] && runs.includes(pair[1]) && pair[1] !== a ? pair[1] : (runs.find((r) => r !== a) ?? null);
  const stepsA = a ? compareMeta[a]?.steps : undefined;
  const stepsB = b ? compareMeta[b]?.steps : undefined;
  const common = useMemo(() => {
    const set = new Set(stepsB ?? []);
    return (stepsA ?? []).filter((x) => set.has(x));
  }, [stepsA, stepsB]);

  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const set = (k: string, v: string | null) => (v ? q.set(k, v) : q.delete(k));
    writeCompareRuns(q, runs);
    set('pair', a && b && (a !== runs[0] || b !== runs[1]) ? `${a},${b}` : null);
    set('metric', metric === 'svcca-k' ? null : metric);
    set('step', step === null ? null : String(step));
    const text = q.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}`);
  }, [runs, a, b, metric, step]);

  const options = Object.values(byId).sort((x, y) => y.createdAt - x.createdAt);
  const named = runs.map((id) => ({ id, name: meta(id)?.name ?? id }));
  const pairPicker = (label: string, value: string | null, other: string | null, set: (v: string) => void, testId: string) => (
    <label>
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => set(e.target.value)} data-testid={testId} disabled={runs.length < 2}>
        {named
          .filter((r) => r.id !== other)
          .map((r) => (
            <option key={r.id} value={r.id}>
              {r.name}
            </option>
          ))}
      </select>
    </label>
  );

  return (
    <div className="compare-page" data-testid="compare-page">
      {runs.map((id) => (
        <TrackRun key={id} id={id} />
      ))}
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/">Runs</Link> /
      </nav>
      <h1>Compare {runs.length > 0 ? `${runs.length} run${runs.length === 1 ? '' : 's'}` : 'runs'}</h1>
      <div className="compare-controls panel">
        <CompareRunPicker runs={runs} meta={meta} options={options} onChange={setRuns} leftOut={parsed} />
        <div className="compare-options">
          <div className="segmented" role="radiogroup" aria-label="Similarity metric">
            {METRICS.map((m) => (
              <button
                key={m}
                type="button"
                role="radio"
                aria-checked={m === metric}
                className={m === metric ? 'active' : ''}
                onClick={() => setMetric(m)}
                data-metric={m}
              >
                {METRIC_LABEL[m]}
              </button>
            ))}
          </div>
        </div>
      </div>
      {runs.length < 2 ? (
        <div className="panel empty-state" data-testid="compare-empty">
          <h2>Pick two or more runs</h2>
          <p>
            Add up to eight runs above, or select two runs on the <Link href="/">run list</Link> and press “Compare”. Layers are compared on the probe set, so
            runs must share it (same examples) for the layer × layer view.
          </p>
        </div>
      ) : (
        <>
          <div className="compare-grid">
            <section className="panel" aria-label="Scalars of the runs">
              <CompareScalars runs={named} step={step} />
            </section>
            <section className="panel" aria-label="Layer by layer similarity between two runs">
              <div className="compare-controls compare-pair">
                {pairPicker('Layers of', a, b, (v) => setPair([v, b]), 'compare-a')}
                {pairPicker('against', b, a, (v) => setPair([a, v]), 'compare-b')}
                <label>
                  Step{' '}
                  <select
                    value={step === null ? '' : String(step)}
                    onChange={(e) => setStep(e.target.value === '' ? null : Number(e.target.value))}
                    data-testid="compare-step"
                  >
                    <option value="">matched newest (else each one&apos;s newest)</option>
                    {common.map((st) => (
                      <option key={st} value={st}>
                        step {formatStep(st)}
                      </option>
                    ))}
                  </select>
                </label>
                <span className="muted small">{common.length} matched checkpoint steps</span>
              </div>
              {a && b && <CompareMatrixPanel a={a} b={b} metric={metric} step={step} nameA={meta(a)?.name ?? a} nameB={meta(b)?.name ?? b} />}
            </section>
          </div>
          <div className="compare-grid">
            <section className="panel" aria-label="Layers settled per run">
              <CompareSettling runs={named} metric={metric} />
            </section>
            <section className="panel" aria-label="Config keys that differ">
              <CompareConfig runs={named} configs={runs.map((id) => meta(id)?.config)} />
            </section>
          </div>
        </>
      )}
    </div>
  );
}
