/**
 * A test hook for bench/render (installed by the /bench/render page only): fills the store with a synthetic
 * layers × checkpoints convergence grid and pushes deltas through the same path /live deltas take.
 */
import type { ConvergenceGrid, ConvergencePatch } from '@/lib/protocol/analysis';
import type { RunSnapshot } from '@/lib/protocol/live';
import type { LayerwatchStore } from './create-store';

export interface BenchHook {
  /** Replaces the run with a synthetic one of `layers` × `columns` checkpoints. */
  load(layers: number, columns: number): void;
  /** Applies one realistic delta (a new checkpoint: new column, new reference, its cells, a backfill batch); returns ms spent applying it. */
  push(): number;
}

declare global {
  interface Window {
    __layerwatchBench?: BenchHook;
  }
}

const STEP = 100;
/** Similarity of layer l at column c to the newest state: lower layers settle earlier. */
const value = (l: number, layers: number, c: number, columns: number) => 1 - Math.exp(-((c + 1) / columns) * (12 - (10 * l) / Math.max(1, layers - 1)));

/** Installs window.__layerwatchBench for the given run id; returns the uninstaller. */
export function installBenchHook(store: LayerwatchStore, runId: string): () => void {
  let layers = 0;
  let columns = 0;
  const hook: BenchHook = {
    load(l, c) {
      layers = l;
      columns = c;
      const names = Array.from({ length: l }, (_, i) => `layer${i + 1}`);
      const steps = Array.from({ length: c }, (_, i) => i * STEP);
      const grid: ConvergenceGrid = {
        metric: 'svcca-k',
        layers: names,
        steps,
        reference: steps[c - 1],
        toNewest: names.map((_, li) => steps.map((_, ci) => value(li, l, ci, c))),
        stability: names.map(() => steps.map(() => 0.99)),
        k: names.map(() => steps.map(() => 10)),
        chance: names.map(() => 0.31),
        pending: 0,
      };
      const now = Date.now();
      const snap: RunSnapshot = {
        meta: { id: runId, name: `bench ${l}×${c}`, status: 'live', createdAt: now, checkpoints: c, lastStep: steps[c - 1], layers: l, bytes: 0 },
        layers: names.map((name) => ({ name, units: 64, kind: 'dense' })),
        probe: { examples: 500 },
        checkpoints: { steps, times: steps.map(() => now) },
        scalars: {},
        warnings: [],
        advice: [],
        frozen: [],
        analysis: { convergence: { defaultMetric: 'svcca-k', grids: { 'svcca-k': grid } } },
      };
      store.getState().applyRunSnapshot(runId, snap, now);
    },
    push() {
      const t0 = performance.now();
      const c = columns++;
      const step = c * STEP;
      const cells: ConvergencePatch['cells'] = [];
      for (let l = 0; l < layers; l++) cells.push({ l, c, toNewest: 1, stability: 0.99, k: 10 });
      // backfill of the newest reference: the most recent 20 columns of every layer
      for (let l = 0; l < layers; l++) for (let b = Math.max(0, c - 20); b < c; b++) cells.push({ l, c: b, toNewest: value(l, layers, b, c + 1) });
      store.getState().applyRunDelta(runId, { kind: 'convergence', patch: { metric: 'svcca-k', addSteps: [step], reference: step, cells } }, Date.now());
      return performance.now() - t0;
    },
  };
  window.__layerwatchBench = hook;
  window.__layerwatchDrawTimes = [];
  return () => {
    delete window.__layerwatchBench;
    delete window.__layerwatchDrawTimes;
  };
}
