/**
 * Convergence slice: one layers × checkpoints grid per metric, patched in place by deltas.
 * Grids are mutable (a 48 × 5,000 grid is not copied per delta); `version` increases on every change,
 * so views subscribe to `version` and read the grids through `getState()`.
 */
import type { StateCreator } from 'zustand/vanilla';
import { applyConvergencePatch, emptyGrid, type ConvergenceGrid, type ConvergencePatch, type ConvergenceState, type MetricName } from '@/lib/protocol/analysis';
import type { Cell } from '@/lib/chart/heatmap-raster';
import type { LayerwatchState } from '../state';

export interface ConvergenceStore {
  grids: Partial<Record<MetricName, ConvergenceGrid>>;
  /** Per metric, the "to newest" values before the last reference change, shown dimmed until the new ones arrive. */
  stale: Partial<Record<MetricName, Cell[][]>>;
  defaultMetric: MetricName | null;
  version: number;
}

export interface ConvergenceSlice {
  convergence: ConvergenceStore;
  setConvergenceState(state: ConvergenceState | undefined): void;
  patchConvergence(patch: ConvergencePatch): void;
}

const EMPTY: ConvergenceStore = { grids: {}, stale: {}, defaultMetric: null, version: 0 };

/** Keeps what was visible before a reference change, in place (no allocation per checkpoint): a new value where there is one, else the previous one. */
function carryOver(grid: ConvergenceGrid, stale: Cell[][] | undefined): Cell[][] {
  const out = stale && stale.length === grid.toNewest.length ? stale : grid.toNewest.map(() => []);
  grid.toNewest.forEach((row, l) => {
    const prev = out[l];
    for (let c = 0; c < row.length; c++) {
      const v = row[c];
      if (v !== null) prev[c] = v;
      else if (c >= prev.length) prev[c] = null;
    }
  });
  return out;
}

/** Creates the convergence slice. */
export const createConvergenceSlice: StateCreator<LayerwatchState, [], [], ConvergenceSlice> = (set, get) => ({
  convergence: EMPTY,
  setConvergenceState: (state) =>
    set((s) => ({
      convergence: state
        ? {
            grids: structuredClone(state.grids) as ConvergenceStore['grids'],
            stale: {},
            defaultMetric: state.defaultMetric,
            version: s.convergence.version + 1,
          }
        : { ...EMPTY, version: s.convergence.version + 1 },
    })),
  patchConvergence: (patch) => {
    const s = get();
    const grids = { ...s.convergence.grids };
    let stale = s.convergence.stale;
    let grid = grids[patch.metric];
    if (!grid)
      grid = grids[patch.metric] = emptyGrid(
        patch.metric,
        s.run.layers.map((l) => l.name),
      );
    if (patch.reference !== undefined && patch.reference !== grid.reference) {
      const kept = carryOver(grid, stale[patch.metric]);
      if (kept !== stale[patch.metric]) stale = { ...stale, [patch.metric]: kept };
    }
    applyConvergencePatch(grid, patch);
    set({ convergence: { ...s.convergence, grids, stale, version: s.convergence.version + 1 } });
  },
});
