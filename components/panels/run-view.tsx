'use client';
/** The run page's client root: subscribes to the run's topic and lays out the panels; loading, not-found and error states. */
import { useEffect, useState } from 'react';
import Link from 'next/link';
import { installBenchHook } from '@/store/bench-hook';
import { useLayerwatch, useLayerwatchApi, useTopic } from '@/store/provider';
import { ConceptsPanel } from './concepts-panel';
import { ConvergencePanel } from './convergence-panel';
import { KPanel } from './k-panel';
import { LayerMatrixPanel } from './layer-matrix-panel';
import { RunSkeleton } from './run-skeleton';
import { ScalarsPanel } from './scalars-panel';
import { StatusPanel } from './status-panel';
import { TimeScrubber } from './time-scrubber';

/** Renders one run, live or past. */
export function RunView({ id }: { id: string }) {
  const store = useLayerwatchApi();
  const [bench, setBench] = useState<boolean | null>(null);
  useEffect(() => setBench(new URLSearchParams(window.location.search).has('bench')), []);
  useEffect(() => {
    store.getState().openRun(id);
    return () => store.getState().closeRun();
  }, [store, id]);
  useTopic(bench === false ? `run:${id}` : null);
  useEffect(() => (bench ? installBenchHook(store, id) : undefined), [bench, store, id]);

  const load = useLayerwatch((s) => s.run.load);
  const error = useLayerwatch((s) => s.run.error);
  const name = useLayerwatch((s) => s.run.meta?.name ?? null);
  const project = useLayerwatch((s) => s.run.meta?.project ?? null);

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
        <button type="button" onClick={() => window.location.reload()}>Retry</button>
      </div>
    );
  }
  if (load !== 'ready' && !bench) return <RunSkeleton />;

  return (
    <div className="run-page" data-testid="run-page" data-run={id}>
      <div className="run-head">
        <div>
          <nav className="crumbs" aria-label="Breadcrumb"><Link href="/">Runs</Link> /</nav>
          <h1>{name ?? id}{project && <span className="muted project"> · {project}</span>}</h1>
        </div>
        <StatusPanel />
      </div>
      <TimeScrubber />
      <div className="run-grid">
        <div className="col-main">
          <ConvergencePanel />
          {/* Concept emergence, raster, selectivity, class sensitivity (issue 3) */}
          <ConceptsPanel />
        </div>
        <div className="col-side">
          <ScalarsPanel />
          <LayerMatrixPanel />
          <KPanel />
        </div>
      </div>
    </div>
  );
}
