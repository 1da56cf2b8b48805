/** Run slice: the run page's topic — meta, layers, checkpoints, scalars (typed-array series) and warnings. */
import type { StateCreator } from 'zustand/vanilla';
import type { LayerDecl } from '@/lib/protocol/ingest';
import type { AdviceEvent, ProbeInfo, RunDelta, RunMeta, RunSnapshot, Warning } from '@/lib/protocol/live';
import { appendPoints, seriesFrom, type SeriesBuffer } from '@/lib/chart/series-buffer';
import type { LayerwatchState } from '../state';

export type RunLoad = 'idle' | 'loading' | 'ready' | 'not-found' | 'error';

export interface RunStore {
  id: string | null;
  load: RunLoad;
  error: string | null;
  meta: RunMeta | null;
  layers: LayerDecl[];
  probe: ProbeInfo | null;
  steps: number[];
  /** Server time (ms since epoch) at which each checkpoint was stored. */
  times: number[];
  /** Mutable series, appended in place; `scalarsVersion` increases on every change. */
  scalars: Record<string, SeriesBuffer>;
  scalarsVersion: number;
  warnings: Warning[];
  /** Freeze advice the server gave, in order. */
  advice: AdviceEvent[];
  /** Server-stored to browser-received time of the newest checkpoint, ms. */
  latencyMs: number | null;
  /** Browser time at which the newest checkpoint arrived. */
  lastCheckpointAt: number | null;
}

export interface RunSlice {
  run: RunStore;
  openRun(id: string): void;
  closeRun(): void;
  applyRunSnapshot(id: string, snap: RunSnapshot, receivedAt: number): void;
  applyRunDelta(id: string, delta: RunDelta, receivedAt: number): void;
  setRunError(id: string, load: 'not-found' | 'error', message: string): void;
}

const IDLE: RunStore = {
  id: null, load: 'idle', error: null, meta: null, layers: [], probe: null, steps: [], times: [], scalars: {}, scalarsVersion: 0, warnings: [], advice: [], latencyMs: null, lastCheckpointAt: null,
};
const MAX_WARNINGS = 200;

/** Creates the run slice. */
export const createRunSlice: StateCreator<LayerwatchState, [], [], RunSlice> = (set, get) => ({
  run: IDLE,
  openRun: (id) => {
    get().setConvergenceState(undefined);
    get().setConceptsState(undefined);
    set({ run: { ...IDLE, id, load: 'loading' }, view: { metric: get().view.metric, scrub: null } });
  },
  closeRun: () => {
    get().setConvergenceState(undefined);
    get().setConceptsState(undefined);
    set({ run: IDLE });
  },
  applyRunSnapshot: (id, snap, receivedAt) => {
    if (get().run.id !== id) return;
    const scalars: Record<string, SeriesBuffer> = {};
    for (const [name, s] of Object.entries(snap.scalars)) scalars[name] = seriesFrom(s.steps, s.values);
    set((s) => ({
      run: {
        ...s.run, load: 'ready', error: null, meta: snap.meta, layers: snap.layers, probe: snap.probe,
        steps: snap.checkpoints.steps, times: snap.checkpoints.times, scalars, scalarsVersion: s.run.scalarsVersion + 1,
        warnings: snap.warnings, advice: snap.advice ?? [], lastCheckpointAt: snap.checkpoints.steps.length ? receivedAt : null,
      },
    }));
    get().setConvergenceState(snap.analysis?.convergence);
    get().setConceptsState(snap.analysis?.concepts); // concepts slice (issue 3)
  },
  applyRunDelta: (id, delta, receivedAt) => {
    const s = get();
    if (s.run.id !== id) return;
    switch (delta.kind) {
      case 'meta':
        return set({ run: { ...s.run, meta: delta.meta } });
      case 'layers':
        return set({ run: { ...s.run, layers: delta.layers } });
      case 'probe':
        return set({ run: { ...s.run, probe: delta.probe } });
      case 'checkpoint':
        return set({
          run: {
            ...s.run,
            steps: [...s.run.steps, delta.step],
            times: [...s.run.times, delta.time],
            latencyMs: Math.max(0, receivedAt - delta.time),
            lastCheckpointAt: receivedAt,
            meta: s.run.meta ? { ...s.run.meta, checkpoints: s.run.steps.length + 1, lastStep: delta.step } : s.run.meta,
          },
        });
      case 'scalars': {
        const scalars = { ...s.run.scalars };
        for (const [name, series] of Object.entries(delta.series)) {
          if (scalars[name]) appendPoints(scalars[name], series.steps, series.values);
          else scalars[name] = seriesFrom(series.steps, series.values);
        }
        return set({ run: { ...s.run, scalars, scalarsVersion: s.run.scalarsVersion + 1 } });
      }
      case 'warning':
        return set({ run: { ...s.run, warnings: [...s.run.warnings, delta.warning].slice(-MAX_WARNINGS) } });
      case 'advice':
        return set({ run: { ...s.run, advice: [...s.run.advice, delta.advice] } });
      case 'convergence':
        return s.patchConvergence(delta.patch);
      case 'concepts':
        return s.patchConcepts(delta.patch);
      default: {
        const _exhaustive: never = delta;
        return _exhaustive;
      }
    }
  },
  setRunError: (id, load, message) => {
    if (get().run.id === id) set((s) => ({ run: { ...s.run, load, error: message } }));
  },
});
