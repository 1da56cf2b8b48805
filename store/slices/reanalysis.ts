/**
 * Re-analysis slice: grids recomputed from a run's stored activations with another metric or options (keyed, e.g.
 * "svcca|threshold=0.95"), stored beside the live grids, never over them, and the progress of running jobs.
 * Grids are patched in place like the convergence grids; `version` increases on every change.
 */
import type { StateCreator } from 'zustand/vanilla';
import { applyConvergencePatch, emptyGrid, type ConvergenceGrid, type ConvergencePatch, type ReanalysisProgress } from '@/lib/protocol/analysis';
import type { LayerwatchState } from '../state';

export interface ReanalysisStore {
  grids: Record<string, ConvergenceGrid>;
  progress: Record<string, ReanalysisProgress>;
  /** The key shown beside the original grid (null: none). */
  shown: string | null;
  version: number;
}

export interface ReanalysisSlice {
  reanalysis: ReanalysisStore;
  setReanalysisGrids(grids: Record<string, ConvergenceGrid>): void;
  patchReanalysis(key: string, patch: ConvergencePatch): void;
  setReanalysisProgress(progress: ReanalysisProgress): void;
  showReanalysis(key: string | null): void;
  clearReanalysis(): void;
}

const EMPTY: ReanalysisStore = { grids: {}, progress: {}, shown: null, version: 0 };

/** Whether a snapshot's grid key names a re-analysis rather than a metric's live grid. */
export function isReanalysisKey(key: string): boolean {
  return key.includes('|');
}

/** Creates the re-analysis slice. */
export const createReanalysisSlice: StateCreator<LayerwatchState, [], [], ReanalysisSlice> = (set, get) => ({
  reanalysis: EMPTY,
  setReanalysisGrids: (grids) => set((s) => ({ reanalysis: { ...s.reanalysis, grids: structuredClone(grids), version: s.reanalysis.version + 1 } })),
  patchReanalysis: (key, patch) => {
    const s = get();
    const grids = { ...s.reanalysis.grids };
    const grid = (grids[key] ??= emptyGrid(
      patch.metric,
      s.run.layers.map((l) => l.name),
    ));
    applyConvergencePatch(grid, patch);
    set({ reanalysis: { ...s.reanalysis, grids, version: s.reanalysis.version + 1 } });
  },
  setReanalysisProgress: (progress) =>
    set((s) => ({ reanalysis: { ...s.reanalysis, progress: { ...s.reanalysis.progress, [progress.key]: progress }, version: s.reanalysis.version + 1 } })),
  showReanalysis: (shown) => set((s) => ({ reanalysis: { ...s.reanalysis, shown } })),
  clearReanalysis: () => set((s) => ({ reanalysis: { ...EMPTY, version: s.reanalysis.version + 1 } })),
});

/** A readable name for a re-analysis key: "svcca|threshold=0.95" → "svcca, threshold 0.95". */
export function reanalysisLabel(key: string): string {
  const [metric, ...opts] = key.split('|');
  return [metric, ...opts.map((o) => o.replace('=', ' '))].join(', ');
}
