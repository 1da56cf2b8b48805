/** Runs slice: the run list (topic "runs"), a short history of each run's main scalar for sparklines, and convergence thumbnails. */
import type { StateCreator } from 'zustand/vanilla';
import type { RunMeta, RunsDelta } from '@/lib/protocol/live';
import type { LayerwatchState } from '../state';

/** Recent (step, value) points of a run's main scalar, as seen on the run list. */
export interface Spark {
  steps: number[];
  values: number[];
}

/** A run's convergence grid shrunk to a few columns (layers × columns, input side first; null: not computed). */
export interface Thumb {
  layers: number;
  steps: number[];
  values: Array<Array<number | null>>;
}

/** What the list fetched lazily for a row: its spark and thumbnail, and when (to refresh live runs now and then). */
export interface RowExtras {
  state: 'loading' | 'ready' | 'error';
  fetchedAt: number;
  /** Checkpoints the run had when fetched. */
  checkpoints: number;
  thumb: Thumb | null;
}

export interface RunsState {
  load: 'loading' | 'ready';
  byId: Record<string, RunMeta>;
  sparks: Record<string, Spark>;
  extras: Record<string, RowExtras>;
  /** Browser time at which each run last changed (a live run's freshness). */
  seenAt: Record<string, number>;
  /** Counts run-list changes heard on "runs-changes" (the overview refetches its page when it moves). */
  changes: number;
}

export interface RunsSlice {
  runs: RunsState;
  applyRunsSnapshot(list: RunMeta[]): void;
  applyRunsDelta(delta: RunsDelta): void;
  /** A change to any run (the overview's page holds a few): updates a run on the page, and counts it. */
  applyRunsChange(delta: RunsDelta): void;
  setSpark(id: string, spark: Spark): void;
  setRowExtras(id: string, extras: RowExtras): void;
}

const SPARK_POINTS = 96;

/** Appends the run's latest main-scalar point to its spark, thinning it to half when full (the shape stays, the cost stays bounded). */
function extendSpark(spark: Spark | undefined, meta: RunMeta): Spark | undefined {
  const p = meta.lastScalar;
  if (!p) return spark;
  if (spark?.steps.length && spark.steps[spark.steps.length - 1] >= p.step) return spark;
  let steps = spark ? [...spark.steps, p.step] : [p.step];
  let values = spark ? [...spark.values, p.value] : [p.value];
  if (steps.length > SPARK_POINTS) {
    steps = steps.filter((_, i) => i % 2 === 0 || i === steps.length - 1);
    values = values.filter((_, i) => i % 2 === 0 || i === values.length - 1);
  }
  return { steps, values };
}

/** Creates the runs slice. */
export const createRunsSlice: StateCreator<LayerwatchState, [], [], RunsSlice> = (set, get) => ({
  runs: { load: 'loading', byId: {}, sparks: {}, extras: {}, seenAt: {}, changes: 0 },
  applyRunsChange: (delta) => {
    const id = delta.kind === 'run' ? delta.meta.id : delta.id;
    if (get().runs.byId[id]) get().applyRunsDelta(delta);
    set((s) => ({ runs: { ...s.runs, changes: s.runs.changes + 1 } }));
  },
  applyRunsSnapshot: (list) =>
    set((s) => {
      const byId: Record<string, RunMeta> = {};
      const sparks: Record<string, Spark> = {};
      const now = Date.now();
      const seenAt: Record<string, number> = {};
      for (const meta of list) {
        // The same run unchanged keeps its object, so its memoised row does not render again (typing refetches pages).
        const was = s.runs.byId[meta.id];
        byId[meta.id] = was && JSON.stringify(was) === JSON.stringify(meta) ? was : meta;
        const spark = extendSpark(s.runs.sparks[meta.id], meta);
        if (spark) sparks[meta.id] = spark;
        seenAt[meta.id] = s.runs.seenAt[meta.id] ?? now;
      }
      return { runs: { ...s.runs, load: 'ready', byId, sparks, seenAt } };
    }),
  applyRunsDelta: (delta) =>
    set((s) => {
      switch (delta.kind) {
        case 'run': {
          const spark = extendSpark(s.runs.sparks[delta.meta.id], delta.meta);
          return {
            runs: {
              ...s.runs,
              byId: { ...s.runs.byId, [delta.meta.id]: delta.meta },
              sparks: spark ? { ...s.runs.sparks, [delta.meta.id]: spark } : s.runs.sparks,
              seenAt: { ...s.runs.seenAt, [delta.meta.id]: Date.now() },
            },
          };
        }
        case 'removed': {
          const { [delta.id]: _gone, ...byId } = s.runs.byId;
          const { [delta.id]: _spark, ...sparks } = s.runs.sparks;
          return { runs: { ...s.runs, byId, sparks } };
        }
        default: {
          const _exhaustive: never = delta;
          return _exhaustive;
        }
      }
    }),
  setSpark: (id, spark) => set((s) => ({ runs: { ...s.runs, sparks: { ...s.runs.sparks, [id]: spark } } })),
  setRowExtras: (id, extras) => set((s) => ({ runs: { ...s.runs, extras: { ...s.runs.extras, [id]: extras } } })),
});
