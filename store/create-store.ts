/** Builds one Layerwatch store from its slices (one per provider, never a module singleton, as zustand's Next.js guide says). */
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createChartsSlice } from './slices/charts';
import { createCompareSlice } from './slices/compare';
import { createConnectionSlice } from './slices/connection';
import { createConceptsSlice } from './slices/concepts';
import { createConvergenceSlice } from './slices/convergence';
import { createReanalysisSlice } from './slices/reanalysis';
import { createRunSlice } from './slices/run';
import { createRunsSlice } from './slices/runs';
import { createTimelineSlice } from './slices/timeline';
import { createViewSlice } from './slices/view';
import type { LayerwatchState } from './state';

export type LayerwatchStore = StoreApi<LayerwatchState>;

/** A fresh store with every slice at its initial state. */
export function createLayerwatchStore(): LayerwatchStore {
  return createStore<LayerwatchState>()((...a) => ({
    ...createConnectionSlice(...a),
    ...createRunsSlice(...a),
    ...createRunSlice(...a),
    ...createConvergenceSlice(...a),
    ...createConceptsSlice(...a),
    ...createViewSlice(...a),
    ...createTimelineSlice(...a),
    ...createReanalysisSlice(...a),
    ...createCompareSlice(...a),
    ...createChartsSlice(...a),
  }));
}
