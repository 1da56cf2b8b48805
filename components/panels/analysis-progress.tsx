'use client';
/** Progress of a stored run's analysis on open (its log came without its analysis): a bar and a sentence, where the results will appear. */
import type { LayerwatchState } from '@/store/state';
import { useLayerwatch } from '@/store/provider';

/** The share done, in whole percent (0 while the log is still being read). */
export function selectAnalysisPercent(s: LayerwatchState): number | null {
  const p = s.timeline.analysis;
  if (p?.status !== 'running') return null;
  return p.total > 0 ? Math.floor((100 * p.done) / p.total) : 0;
}

/** Renders the bar and the sentence while the analysis runs (and its error if it failed); nothing otherwise. */
export function AnalysisProgressNote() {
  const p = useLayerwatch((s) => s.timeline.analysis);
  const percent = useLayerwatch(selectAnalysisPercent);
  if (!p || p.status === 'done') return null;
  if (p.status === 'failed') {
    return (
      <span className="analysis-progress error-text" data-testid="analysis-progress" data-status="failed" role="alert">
        The analysis of the stored activations stopped: {p.message ?? 'failed'}
      </span>
    );
  }
  const what = p.parts.length ? ` (${p.parts.join(', ')})` : '';
  return (
    <span className="analysis-progress" data-testid="analysis-progress" data-status="running" data-done={p.done} data-total={p.total}>
      <progress max={Math.max(1, p.total)} value={p.done} aria-label="Analysis of the stored activations" />{' '}
      {p.total === 0
        ? 'Reading the log to analyse it: it came without its analysis…'
        : `Analysing the stored activations${what}: ${percent}% — the log came without its analysis`}
    </span>
  );
}
