'use client';
/** The status strip's "analysis behind" fact: how many checkpoints wait for their analysis and when it expects to catch up. */
import type { AnalysisBacklog } from '@/lib/protocol/analysis';
import { formatDuration } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';

/** One line saying how far behind and why, or null when the analysis keeps up (at most the newest checkpoint in progress). */
export function backlogText(b: AnalysisBacklog | null): { value: string; detail: string } | null {
  if (!b || b.behind < 2) return null;
  const per = b.secondsPerCheckpoint === null ? null : formatDuration(b.secondsPerCheckpoint * 1000);
  const every = b.arrivalSeconds === null ? null : formatDuration(b.arrivalSeconds * 1000);
  const value = `${b.behind} checkpoints behind`;
  if (b.catchUpSeconds !== null) return { value, detail: `catches up in ~${formatDuration(b.catchUpSeconds * 1000)}${per ? ` (${per} per checkpoint)` : ''}` };
  if (per && every) return { value, detail: `not catching up: a checkpoint takes ${per} to analyse, one arrives every ${every}` };
  return { value, detail: 'catch-up time not measured yet' };
}

/** Renders the fact, or nothing while the analysis keeps up. */
export function BacklogFact() {
  const backlog = useLayerwatch((s) => s.timeline.backlog);
  const text = backlogText(backlog);
  if (!text) return null;
  return (
    <div
      className="warn"
      data-testid="analysis-backlog"
      title="Checkpoints are stored and analysed in order; none is dropped, and the trainer is never slowed by the analysis"
    >
      <dt>analysis</dt>
      <dd>
        {text.value} <span className="muted">· {text.detail}</span>
      </dd>
    </div>
  );
}
