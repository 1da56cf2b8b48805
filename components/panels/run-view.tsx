'use client';
/**
 * The run page's client root: subscribes to the run's topic, owns its replay player, and lays out the panels so that
 * one 1440 × 900 screen answers "which layers have settled, what has emerged, is training healthy"; loading,
 * not-found and error states.
 */
import { useEffect, useMemo } from 'react';
import Link from 'next/link';
import { runTopic } from '@/lib/protocol/live';
import { ReplayPlayer } from '@/store/replay-player';
import { useLayerwatch, useLayerwatchApi, useLiveSocket, useTopic } from '@/store/provider';
import { selectReplay } from '@/store/slices/timeline';
import { RunLayout } from './run-layout';
import { RunSkeleton } from './run-skeleton';
import { TagEditor } from './tag-editor';
import { StatusPanel } from './status-panel';
import { TimeScrubber } from './time-scrubber';
import { useRunShortcuts } from './shortcuts';
import { PlayerProvider, useScrub } from './use-scrub';
import { useChartUrl } from './use-chart-url';
import { useRunUrl, type RunUrlState } from './use-run-url';

/** Renders one run, live or replayed: its /live topic feeds the store. */
export function RunView({ id, initial = {} }: { id: string; initial?: RunUrlState }) {
  useTopic(runTopic(id));
  return <RunFrame id={id} initial={initial} />;
}

/** The run page over whatever fills the store for `id` (the /live topic, or bench/render's synthetic deltas). */
export function RunFrame({ id, initial }: { id: string; initial: RunUrlState }) {
  const store = useLayerwatchApi();
  const socket = useLiveSocket();
  useEffect(() => {
    store.getState().openRun(id);
    return () => store.getState().closeRun();
  }, [store, id]);
  const player = useMemo(() => new ReplayPlayer(store, socket, id), [store, socket, id]);
  useEffect(() => {
    player.attach();
    return () => player.dispose();
  }, [player]);
  return (
    <PlayerProvider player={player}>
      <RunPage id={id} initial={initial} />
    </PlayerProvider>
  );
}

function RunPage({ id, initial }: { id: string; initial: RunUrlState }) {
  const scrub = useScrub();
  useRunShortcuts(scrub);
  useRunUrl(initial, scrub);
  useChartUrl();
  const load = useLayerwatch((s) => s.run.load);
  const error = useLayerwatch((s) => s.run.error);
  const name = useLayerwatch((s) => (s.timeline.meta ?? s.run.meta)?.name ?? null);
  const project = useLayerwatch((s) => (s.timeline.meta ?? s.run.meta)?.project ?? null);
  const replay = useLayerwatch(selectReplay);
  const meta = useLayerwatch((s) => s.run.meta);
  const store = useLayerwatchApi();

  if (load === 'not-found') {
    return (
      <div className="state-page" role="alert">
        <h1>No run “{id}”</h1>
        <p>It may have been removed, or the link has a typo.</p>
        <Link href="/">Back to all runs</Link>
      </div>
    );
  }
  if (load === 'error') {
    return (
      <div className="state-page" role="alert">
        <h1>Could not load run “{id}”</h1>
        <p>{error}</p>
        <button type="button" onClick={() => window.location.reload()}>
          Retry
        </button>{' '}
        <Link href="/">Back to all runs</Link>
      </div>
    );
  }
  if (load !== 'ready') return <RunSkeleton />;

  return (
    <div className="run-page" data-testid="run-page" data-run={id} data-mode={replay ? 'replay' : 'live'}>
      <div className="run-head">
        <div className="run-title">
          <nav className="crumbs" aria-label="Breadcrumb">
            <Link href="/">Runs</Link> /
          </nav>
          <h1>
            {name ?? id}
            {project && <span className="muted project"> · {project}</span>}
          </h1>
          {meta && <TagEditor meta={meta} onSaved={(saved) => store.getState().applyRunDelta(id, { kind: 'meta', meta: saved }, Date.now())} />}
        </div>
        <StatusPanel />
      </div>
      <TimeScrubber />
      <RunLayout />
    </div>
  );
}
