/** A /live viewer of one run that keeps what a browser would show: the convergence grids, the concept state and the analysis progress. */
import { LiveClient } from '../../../clients/node/live-client';
import {
  applyConceptPatch,
  applyConvergencePatch,
  emptyGrid,
  type AnalysisProgress,
  type ConceptState,
  type ConvergenceGrid,
  type RunSnapshot,
} from '../../../lib/protocol';

export interface RunView {
  snapshot: RunSnapshot;
  /** Live grids by metric (re-analyses left out), patched by every delta. */
  grids: Record<string, ConvergenceGrid>;
  concepts: ConceptState | null;
  /** Every analysis-progress the viewer heard, snapshot first. */
  progress: AnalysisProgress[];
  close(): void;
}

/** Subscribes to `run:<id>` and resolves once the snapshot has arrived. */
export async function viewRun(liveUrl: string, id: string): Promise<RunView> {
  let view: RunView | null = null;
  const pending: Array<() => void> = [];
  const live = await LiveClient.connect({
    url: liveUrl,
    onSnapshot: (m) => {
      if (m.topic !== `run:${id}` || !m.run) return;
      const grids = Object.fromEntries(Object.entries(structuredClone(m.run.analysis?.convergence?.grids ?? {})).filter(([key]) => !key.includes('|')));
      view = {
        snapshot: m.run,
        grids,
        concepts: structuredClone(m.run.analysis?.concepts ?? null),
        progress: m.run.analysis?.progress ? [m.run.analysis.progress] : [],
        close: () => live.close(),
      };
      for (const p of pending.splice(0)) p();
    },
    onDelta: (m) => {
      const d = m.run;
      if (!view || m.topic !== `run:${id}` || !d) return;
      if (d.kind === 'analysis-progress') view.progress.push(d.progress);
      if (d.kind === 'concepts') view.concepts = applyConceptPatch(view.concepts, d.patch);
      if (d.kind === 'convergence' && d.patch.key === undefined) {
        const grid = (view.grids[d.patch.metric] ??= emptyGrid(
          d.patch.metric,
          view.snapshot.layers.map((l) => l.name),
        ));
        applyConvergencePatch(grid, d.patch);
      }
    },
  });
  live.subscribe(`run:${id}`);
  await new Promise<void>((resolve, reject) => {
    pending.push(resolve);
    setTimeout(() => reject(new Error(`no snapshot of run ${id}`)), 30_000);
  });
  return view!;
}
