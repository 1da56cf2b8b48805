'use client';
/** Run status: live (with the checkpoint latency and time since the last checkpoint), finished, failed or interrupted; counts and the log download. */
import { useEffect, useState } from 'react';
import { formatDuration, formatStep } from '@/lib/chart/scales';
import { useLayerwatch } from '@/store/provider';
import { selectReplay, selectRunMeta } from '@/store/slices/timeline';
import { BacklogFact } from './backlog-fact';
import { RuntimeFacts } from './runtime-facts';
import { StatusBadge } from './status-badge';

/** Renders the status strip of the run page. */
export function StatusPanel() {
  const meta = useLayerwatch(selectRunMeta);
  const replay = useLayerwatch(selectReplay);
  const latencyMs = useLayerwatch((s) => s.run.latencyMs);
  const lastAt = useLayerwatch((s) => s.run.lastCheckpointAt);
  const checkpoints = useLayerwatch((s) => Math.max(s.timeline.steps.length, s.run.steps.length));
  const examples = useLayerwatch((s) => s.run.probe?.examples ?? null);
  const warnings = useLayerwatch((s) => s.run.warnings.length);
  const advised = useLayerwatch((s) => s.run.advice.map((a) => a.layer).join(', '));
  const frozen = useLayerwatch((s) => s.run.frozen.map((f) => f.layer).join(', '));
  const help = useLayerwatch((s) => s.setHelp);
  const [now, setNow] = useState(() => Date.now());
  const live = meta?.status === 'live';
  useEffect(() => {
    if (!live) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [live]);
  if (!meta) return null;
  return (
    <section className="status-strip" aria-label="Run status" data-testid="run-status" data-status={meta.status}>
      <StatusBadge status={meta.status} />
      {replay && (
        <span className="badge badge-replay" title="A past run: the scrubber and the player show it as it was at each checkpoint">
          replay
        </span>
      )}
      <dl className="facts">
        {live && (
          <div title="Time from the server storing the newest checkpoint to this page receiving it">
            <dt>latency</dt>
            <dd data-testid="latency">{latencyMs === null ? '–' : formatDuration(latencyMs)}</dd>
          </div>
        )}
        {live && (
          <div>
            <dt>last checkpoint</dt>
            <dd>{lastAt === null ? '–' : now - lastAt < 1000 ? 'just now' : `${formatDuration(now - lastAt)} ago`}</dd>
          </div>
        )}
        {!live && meta.endedAt && (
          <div>
            <dt>{meta.status === 'finished' ? 'finished' : 'stopped'}</dt>
            <dd>{new Date(meta.endedAt).toLocaleString()}</dd>
          </div>
        )}
        <div>
          <dt>step</dt>
          <dd>{meta.lastStep === null ? '–' : formatStep(meta.lastStep)}</dd>
        </div>
        <div>
          <dt>checkpoints</dt>
          <dd>{checkpoints}</dd>
        </div>
        <div>
          <dt>layers</dt>
          <dd>{meta.layers}</dd>
        </div>
        <RuntimeFacts />
        {examples !== null && (
          <div>
            <dt>probe</dt>
            <dd>{examples} examples</dd>
          </div>
        )}
        {advised && (
          <div title="Layers the server advised freezing (advice, not a freeze: the trainer decides)">
            <dt>freeze advised</dt>
            <dd data-testid="advice">{advised}</dd>
          </div>
        )}
        {frozen && (
          <div title="Layers the trainer confirmed it froze">
            <dt>frozen</dt>
            <dd data-testid="frozen">{frozen}</dd>
          </div>
        )}
        <BacklogFact />
        {warnings > 0 && (
          <div className="warn">
            <dt>warnings</dt>
            <dd>{warnings}</dd>
          </div>
        )}
      </dl>
      <a className="button subtle" href={`/api/runs/${encodeURIComponent(meta.id)}/log`} download data-testid="download-log">
        Download log
      </a>
      <button type="button" className="button subtle icon-button" aria-label="Keyboard shortcuts (?)" title="Keyboard shortcuts (?)" onClick={() => help(true)}>
        ?
      </button>
    </section>
  );
}
