/**
 * Compare slice: the runs of the compare view, each fed by its own run topic (meta, checkpoint steps and scalars only;
 * the layer × layer matrix between them comes from the `compare` request).
 */
import type { StateCreator } from 'zustand/vanilla';
import type { RunDelta, RunMeta, RunSnapshot } from '@/lib/protocol/live';
import { appendPoints, seriesFrom, type SeriesBuffer } from '@/lib/chart/series-buffer';
import type { LayerwatchState } from '../state';

export interface CompareRun {
  load: 'loading' | 'ready' | 'not-found' | 'error';
  error: string | null;
  meta: RunMeta | null;
  steps: number[];
  /** Mutable series, appended in place; `version` increases on every change. */
  scalars: Record<string, SeriesBuffer>;
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

const fresh = (): CompareRun => ({ load: 'loading', error: null, meta: null, steps: [], scalars: {}, version: 0 });

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
        return { load: 'ready', error: null, meta: snap.meta, steps: snap.checkpoints.steps, scalars };
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
          default:
            return null; // analysis deltas: the compare view asks for what it needs
        }
      }),
    setCompareError: (id, load, message) => update(id, () => ({ load, error: message })),
  };
};
