/**
 * Compare slice: the runs of the compare view (up to 8), each fed by its own run topic: meta, checkpoint steps, scalars,
 * layer names, freeze advice and the metrics' live convergence grids (for "which run's layers settled first"); the
 * layer × layer matrix between two of them comes from the `compare` request.
 */
import type { StateCreator } from 'zustand/vanilla';
import { applyConvergencePatch, emptyGrid, METRICS, type ConvergenceGrid, type ConvergenceState, type MetricName } from '@/lib/protocol/analysis';
import type { AdviceEvent, FrozenLayer, RunDelta, RunMeta, RunSnapshot } from '@/lib/protocol/live';
import { appendPoints, seriesFrom, type SeriesBuffer } from '@/lib/chart/series-buffer';
import type { LayerwatchState } from '../state';

export interface CompareRun {
  load: 'loading' | 'ready' | 'not-found' | 'error';
  error: string | null;
  meta: RunMeta | null;
  steps: number[];
  /** Mutable series, appended in place; `version` increases on every change. */
  scalars: Record<string, SeriesBuffer>;
  layers: string[];
  advice: AdviceEvent[];
  frozen: FrozenLayer[];
  /** Live convergence grids by metric (re-analyses left out), patched in place; `version` says when. */
  grids: Partial<Record<MetricName, ConvergenceGrid>>;
  version: number;
}

export interface CompareSlice {
  compare: { runs: Record<string, CompareRun> };
  trackCompareRun(id: string): void;
  untrackCompareRun(id: string): void;
  applyCompareSnapshot(id: string, snap: RunSnapshot): void;
  applyCompareDelta(id: string, delta: RunDelta): void;
  setCompareError(id: string, load: 'not-found' | 'error', message: string): void;
}

const fresh = (): CompareRun => ({
  load: 'loading',
  error: null,
  meta: null,
  steps: [],
  scalars: {},
  layers: [],
  advice: [],
  frozen: [],
  grids: {},
  version: 0,
});

/** The metrics' live grids of a snapshot (keys such as "svcca|threshold=0.95" are re-analyses, not shown here). */
function liveGrids(state: ConvergenceState | undefined): CompareRun['grids'] {
  const grids: CompareRun['grids'] = {};
  for (const m of METRICS) if (state?.grids[m]) grids[m] = state.grids[m];
  return grids;
}

/** Creates the compare slice. */
export const createCompareSlice: StateCreator<LayerwatchState, [], [], CompareSlice> = (set, get) => {
  const update = (id: string, f: (r: CompareRun) => Partial<CompareRun> | null) => {
    const r = get().compare.runs[id];
    if (!r) return;
    const patch = f(r);
    if (patch) set((s) => ({ compare: { runs: { ...s.compare.runs, [id]: { ...r, ...patch, version: r.version + 1 } } } }));
  };
  return {
    compare: { runs: {} },
    trackCompareRun: (id) => set((s) => (s.compare.runs[id] ? s : { compare: { runs: { ...s.compare.runs, [id]: fresh() } } })),
    untrackCompareRun: (id) =>
      set((s) => {
        const { [id]: _gone, ...runs } = s.compare.runs;
        return { compare: { runs } };
      }),
    applyCompareSnapshot: (id, snap) =>
      update(id, () => {
        const scalars: Record<string, SeriesBuffer> = {};
        for (const [name, series] of Object.entries(snap.scalars)) scalars[name] = seriesFrom(series.steps, series.values);
        return {
          load: 'ready',
          error: null,
          meta: snap.meta,
          steps: snap.checkpoints.steps,
          scalars,
          layers: snap.layers.map((l) => l.name),
          advice: snap.advice ?? [],
          frozen: snap.frozen ?? [],
          grids: liveGrids(snap.analysis?.convergence),
        };
      }),
    applyCompareDelta: (id, delta) =>
      update(id, (r) => {
        switch (delta.kind) {
          case 'meta':
            return { meta: delta.meta };
          case 'checkpoint':
            return { steps: [...r.steps, delta.step], meta: r.meta ? { ...r.meta, lastStep: delta.step, checkpoints: r.steps.length + 1 } : r.meta };
          case 'scalars': {
            const scalars = { ...r.scalars };
            for (const [name, series] of Object.entries(delta.series)) {
              if (scalars[name]) appendPoints(scalars[name], series.steps, series.values);
              else scalars[name] = seriesFrom(series.steps, series.values);
            }
            return { scalars };
          }
          case 'layers':
            return { layers: delta.layers.map((l) => l.name) };
          case 'advice':
            return { advice: [...r.advice, delta.advice] };
          case 'frozen':
            return { frozen: [...r.frozen, delta.frozen] };
          case 'convergence': {
            if (delta.patch.key !== undefined) return null;
            const grids = { ...r.grids };
            const grid = (grids[delta.patch.metric] ??= emptyGrid(delta.patch.metric, r.layers));
            applyConvergencePatch(grid, delta.patch);
            return { grids };
          }
          case 'probe':
          case 'warning':
          case 'reanalysis':
          case 'analysis-progress':
          case 'concepts':
          case 'analysis-backlog':
          case 'gradcam':
            return null; // not shown in the compare view
          default: {
            const _exhaustive: never = delta;
            return _exhaustive;
          }
        }
      }),
    setCompareError: (id, load, message) => update(id, () => ({ load, error: message })),
  };
};

/** The compared runs, for throttled selections (every change of the slice makes a new object). */
export const selectCompareRuns = (s: LayerwatchState) => s.compare.runs;
/** Whether the compare slice changed. */
export const compareChanged = (n: LayerwatchState, p: LayerwatchState) => n.compare !== p.compare;
