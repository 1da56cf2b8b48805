'use client';
/**
 * Compare two runs (two seeds, or a baseline and a frozen run): layer × layer similarity between them at a matched step
 * or at each one's newest, with the chance baseline, and their scalars overlaid. Both run topics stay subscribed, so it
 * works while either run trains and on past runs alike. The URL holds a, b, metric and step.
 */
import { useEffect, useMemo, useState } from 'react';
import Link from 'next/link';
import { MetricName, METRICS, type MetricName as Metric } from '@/lib/protocol/analysis';
import { formatStep } from '@/lib/chart/scales';
import { useLayerwatch, useLayerwatchApi, useTopic } from '@/store/provider';
import { CompareMatrixPanel } from './compare-matrix-panel';
import { CompareScalars } from './compare-scalars';
import { METRIC_LABEL } from './metric-info';
import { StatusBadge } from './status-badge';

export interface CompareUrl {
  a?: string;
  b?: string;
  metric?: string;
  step?: string;
}

/** Keeps a run tracked by the compare slice and its topic subscribed while mounted. */
function useCompareRun(id: string | null): void {
  const store = useLayerwatchApi();
  useEffect(() => {
    if (!id) return;
    store.getState().trackCompareRun(id);
    return () => store.getState().untrackCompareRun(id);
  }, [store, id]);
  useTopic(id ? `run:${id}` : null);
}

/** Renders the pickers, the matrix and the overlaid scalars. */
export function CompareView({ initial }: { initial: CompareUrl }) {
  useTopic('runs');
  const runs = useLayerwatch((s) => s.runs.byId);
  const [a, setA] = useState<string | null>(initial.a || null);
  const [b, setB] = useState<string | null>(initial.b || null);
  const parsedMetric = MetricName.safeParse(initial.metric);
  const [metric, setMetric] = useState<Metric>(parsedMetric.success ? parsedMetric.data : 'svcca-k');
  const [step, setStep] = useState<number | null>(initial.step ? Number(initial.step) : null);
  useCompareRun(a);
  useCompareRun(b);
  const stepsA = useLayerwatch((s) => (a ? s.compare.runs[a]?.steps : undefined));
  const stepsB = useLayerwatch((s) => (b ? s.compare.runs[b]?.steps : undefined));
  const metaA = useLayerwatch((s) => (a ? s.compare.runs[a]?.meta ?? runs[a] ?? null : null));
  const metaB = useLayerwatch((s) => (b ? s.compare.runs[b]?.meta ?? runs[b] ?? null : null));
  const common = useMemo(() => {
    const set = new Set(stepsB ?? []);
    return (stepsA ?? []).filter((x) => set.has(x));
  }, [stepsA, stepsB]);

  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const set = (k: string, v: string | null) => (v ? q.set(k, v) : q.delete(k));
    set('a', a);
    set('b', b);
    set('metric', metric === 'svcca-k' ? null : metric);
    set('step', step === null ? null : String(step));
    const text = q.toString();
    window.history.replaceState(null, '', `${window.location.pathname}${text ? `?${text}` : ''}`);
  }, [a, b, metric, step]);

  const options = Object.values(runs).sort((x, y) => y.createdAt - x.createdAt);
  const picker = (label: string, value: string | null, set: (v: string | null) => void, testId: string) => (
    <label>
      {label}{' '}
      <select value={value ?? ''} onChange={(e) => set(e.target.value || null)} data-testid={testId}>
        <option value="">choose a run…</option>
        {value && !runs[value] && <option value={value}>{value}</option>}
        {options.map((r) => <option key={r.id} value={r.id}>{r.name} ({r.id}){r.status === 'live' ? ' · live' : ''}</option>)}
      </select>
    </label>
  );

  return (
    <div className="compare-page" data-testid="compare-page">
      <nav className="crumbs" aria-label="Breadcrumb"><Link href="/">Runs</Link> /</nav>
      <h1>
        Compare{' '}
        {metaA && <span>{metaA.name} <StatusBadge status={metaA.status} /></span>}
        {metaA && metaB && <span className="muted"> vs </span>}
        {metaB && <span>{metaB.name} <StatusBadge status={metaB.status} /></span>}
      </h1>
      <div className="compare-controls panel">
        {picker('Run A', a, setA, 'compare-a')}
        {picker('Run B', b, setB, 'compare-b')}
        <div className="segmented" role="radiogroup" aria-label="Similarity metric">
          {METRICS.map((m) => (
            <button key={m} type="button" role="radio" aria-checked={m === metric} className={m === metric ? 'active' : ''} onClick={() => setMetric(m)} data-metric={m}>{METRIC_LABEL[m]}</button>
          ))}
        </div>
        <label>
          Step{' '}
          <select value={step === null ? '' : String(step)} onChange={(e) => setStep(e.target.value === '' ? null : Number(e.target.value))} data-testid="compare-step">
            <option value="">matched newest (else each one&apos;s newest)</option>
            {common.map((st) => <option key={st} value={st}>step {formatStep(st)}</option>)}
          </select>
        </label>
        <span className="muted small">{a && b ? `${common.length} matched checkpoint steps` : ''}</span>
      </div>
      {!a || !b ? (
        <div className="panel empty-state" data-testid="compare-empty">
          <h2>Pick two runs</h2>
          <p>Choose run A and run B above, or select two runs on the <Link href="/">run list</Link> and press “Compare”. Runs must share their probe set (same examples) for their layers to be compared.</p>
        </div>
      ) : (
        <div className="compare-grid">
          <section className="panel" aria-label="Layer by layer similarity between the runs">
            <CompareMatrixPanel a={a} b={b} metric={metric} step={step} nameA={metaA?.name ?? a} nameB={metaB?.name ?? b} />
          </section>
          <section className="panel" aria-label="Scalars of both runs">
            <CompareScalars a={a} b={b} nameA={metaA?.name ?? a} nameB={metaB?.name ?? b} step={step} />
          </section>
        </div>
      )}
    </div>
  );
}
