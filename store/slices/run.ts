/**
 * Run slice: what the run page's views show — meta, layers, checkpoints, scalars (typed-array series) and warnings.
 * Normally that is the run's topic; in a replay it is a frame (the run as of one checkpoint) while the topic keeps the
 * timeline slice current (see ./timeline).
 */
import type { StateCreator } from 'zustand/vanilla';
import { METRICS, type ConvergenceGrid, type ConvergenceState, type MetricName } from '@/lib/protocol/analysis';
import type { LayerDecl } from '@/lib/protocol/ingest';
import type { AdviceEvent, FrozenLayer, ProbeInfo, RunDelta, RunMeta, RunSnapshot, Warning } from '@/lib/protocol/live';
import { appendPoints, seriesFrom, type SeriesBuffer } from '@/lib/chart/series-buffer';
import type { LayerwatchState } from '../state';
import { isReanalysisKey } from './reanalysis';
import { conceptsAt } from './timeline';

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
  /** Layers the trainer confirmed frozen (advice alone freezes nothing). */
  frozen: FrozenLayer[];
  /** Server-stored to browser-received time of the newest checkpoint, ms. */
  latencyMs: number | null;
  /** Browser time at which the newest checkpoint arrived. */
  lastCheckpointAt: number | null;
  /** Steps whose Grad-CAM maps were announced since the run was opened (the Grad-CAM panel fetches them). */
  gradcamSteps: number[];
}

export interface RunSlice {
  run: RunStore;
  openRun(id: string): void;
  closeRun(): void;
  applyRunSnapshot(id: string, snap: RunSnapshot, receivedAt: number): void;
  applyRunDelta(id: string, delta: RunDelta, receivedAt: number): void;
  /** Shows a replay frame (a `run-at` answer) in place of the topic's state; `index` is its checkpoint in the timeline. */
  applyFrame(id: string, index: number, snap: RunSnapshot): void;
  setRunError(id: string, load: 'not-found' | 'error', message: string): void;
}

const IDLE: RunStore = {
  id: null,
  load: 'idle',
  error: null,
  meta: null,
  layers: [],
  probe: null,
  steps: [],
  times: [],
  scalars: {},
  scalarsVersion: 0,
  warnings: [],
  advice: [],
  frozen: [],
  latencyMs: null,
  lastCheckpointAt: null,
  gradcamSteps: [],
};
const MAX_WARNINGS = 200;

/** Splits a snapshot's grids into the metrics' live grids and the re-analyses kept beside them. */
function splitGrids(state: ConvergenceState | undefined): { main: ConvergenceState | undefined; extra: Record<string, ConvergenceGrid> } {
  if (!state) return { main: undefined, extra: {} };
  const grids: Record<string, ConvergenceGrid> = {};
  const extra: Record<string, ConvergenceGrid> = {};
  for (const [key, grid] of Object.entries(state.grids)) {
    if (!isReanalysisKey(key) && (METRICS as readonly string[]).includes(key)) grids[key as MetricName] = grid;
    else extra[key] = grid;
  }
  return { main: { ...state, grids }, extra };
}

/** Creates the run slice. */
export const createRunSlice: StateCreator<LayerwatchState, [], [], RunSlice> = (set, get) => {
  /** Puts a snapshot's state into the views (the topic's, or a frame's). */
  const show = (snap: RunSnapshot, receivedAt: number | null, scrub: number | null) => {
    const scalars: Record<string, SeriesBuffer> = {};
    for (const [name, s] of Object.entries(snap.scalars)) scalars[name] = seriesFrom(s.steps, s.values);
    set((s) => ({
      run: {
        ...s.run,
        load: 'ready',
        error: null,
        meta: snap.meta,
        layers: snap.layers,
        probe: snap.probe,
        steps: snap.checkpoints.steps,
        times: snap.checkpoints.times,
        scalars,
        scalarsVersion: s.run.scalarsVersion + 1,
        warnings: snap.warnings,
        advice: snap.advice ?? [],
        frozen: snap.frozen ?? [],
        lastCheckpointAt: receivedAt !== null && snap.checkpoints.steps.length ? receivedAt : s.run.lastCheckpointAt,
      },
      view: { ...s.view, scrub },
    }));
    get().setConvergenceState(splitGrids(snap.analysis?.convergence).main);
  };

  return {
    run: IDLE,
    openRun: (id) => {
      get().setConvergenceState(undefined);
      get().setConceptsState(undefined);
      get().resetTimeline();
      get().clearReanalysis();
      set((s) => ({ run: { ...IDLE, id, load: 'loading' }, view: { ...s.view, scrub: null } }));
    },
    closeRun: () => {
      get().setConvergenceState(undefined);
      get().setConceptsState(undefined);
      get().resetTimeline();
      get().clearReanalysis();
      set({ run: IDLE });
    },
    applyRunSnapshot: (id, snap, receivedAt) => {
      const s = get();
      if (s.run.id !== id) return;
      s.setTimeline({
        meta: snap.meta,
        steps: snap.checkpoints.steps,
        times: snap.checkpoints.times,
        analysis: snap.analysis?.progress ?? null,
        backlog: snap.analysis?.backlog ?? null,
      });
      s.setReanalysisGrids(splitGrids(snap.analysis?.convergence).extra);
      if (s.timeline.frame !== null) {
        // A pinned replay frame stays; the topic's concepts are what later frames are cut from.
        if (snap.analysis?.concepts) s.setTimeline({ conceptsSource: snap.analysis.concepts });
        if (s.run.load !== 'ready') set((st) => ({ run: { ...st.run, load: 'ready' } }));
        return;
      }
      show(snap, receivedAt, s.view.scrub);
      get().setConceptsState(snap.analysis?.concepts);
    },
    applyFrame: (id, index, snap) => {
      const s = get();
      if (s.run.id !== id) return;
      if (s.timeline.frame === null) s.setTimeline({ conceptsSource: s.concepts.state });
      get().setTimeline({ frame: index, frameLoad: 'idle', frameError: null });
      show(snap, null, null);
      const source = get().timeline.conceptsSource;
      const step = snap.meta.lastStep ?? -Infinity;
      get().setConceptsState(snap.analysis?.concepts ?? (source ? conceptsAt(source, step) : undefined));
    },
    applyRunDelta: (id, delta, receivedAt) => {
      const s = get();
      if (s.run.id !== id) return;
      const pinned = s.timeline.frame !== null;
      switch (delta.kind) {
        case 'meta':
          s.setTimeline({ meta: delta.meta });
          return pinned ? undefined : set({ run: { ...s.run, meta: delta.meta } });
        case 'checkpoint':
          s.setTimeline({
            steps: [...s.timeline.steps, delta.step],
            times: [...s.timeline.times, delta.time],
            meta: s.timeline.meta ? { ...s.timeline.meta, checkpoints: s.timeline.steps.length + 1, lastStep: delta.step } : null,
          });
          if (pinned) return;
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
        case 'reanalysis':
          return s.setReanalysisProgress(delta.progress);
        case 'gradcam':
          // Timeline information like a checkpoint: a replay frame that reaches this step can then show its maps.
          return set({ run: { ...s.run, gradcamSteps: [...s.run.gradcamSteps, delta.step] } });
        case 'analysis-progress':
          return s.setTimeline({ analysis: delta.progress });
        case 'analysis-backlog':
          return s.setTimeline({ backlog: delta.backlog });
        case 'convergence':
          if (delta.patch.key !== undefined) return s.patchReanalysis(delta.patch.key, delta.patch);
          return pinned ? undefined : s.patchConvergence(delta.patch);
        default:
          if (pinned) return; // the frame shows the past; a return to the newest state resubscribes
      }
      switch (delta.kind) {
        case 'layers':
          return set({ run: { ...s.run, layers: delta.layers } });
        case 'probe':
          return set({ run: { ...s.run, probe: delta.probe } });
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
        case 'frozen':
          return set({ run: { ...s.run, frozen: [...s.run.frozen, delta.frozen] } });
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
  };
};
