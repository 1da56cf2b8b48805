/**
 * Timeline slice: the run's own progress as its topic reports it (meta, every checkpoint step and time), kept apart
 * from what the views show. In a replay the views show a *frame* — the run as it was when one checkpoint was the newest
 * (the `run-at` answer) — while this slice still knows the whole run for the scrubber and the player.
 */
import type { StateCreator } from 'zustand/vanilla';
import type { AnalysisBacklog, AnalysisProgress } from '@/lib/protocol/analysis';
import type { ConceptState } from '@/lib/protocol/concepts';
import type { RunMeta } from '@/lib/protocol/live';
import type { LayerwatchState } from '../state';

/** Playback speed: a multiple of the run's own pace, or one frame after another as fast as they load. */
export type Speed = 1 | 10 | 100 | 'max';
export const SPEEDS: readonly Speed[] = [1, 10, 100, 'max'];

export interface TimelineStore {
  meta: RunMeta | null;
  steps: number[];
  times: number[];
  /** Index (into `steps`) of the replay frame the views show; null: the topic's newest state. */
  frame: number | null;
  /** Index the player is moving to (the scrubber shows it at once; the frame follows when it has loaded). */
  target: number | null;
  frameLoad: 'idle' | 'loading' | 'error';
  frameError: string | null;
  playing: boolean;
  speed: Speed;
  /** The topic's concept state when a frame was first pinned (frames without concepts are cut from it). */
  conceptsSource: ConceptState | null;
  /** Progress of the analysis on open of a stored run that came without its analysis (null: none running). */
  analysis: AnalysisProgress | null;
  /** How far a live run's analysis is behind its checkpoints (null: not live, or not told yet). */
  backlog: AnalysisBacklog | null;
}

export interface TimelineSlice {
  timeline: TimelineStore;
  setTimeline(patch: Partial<TimelineStore>): void;
  resetTimeline(): void;
}

const EMPTY: TimelineStore = {
  meta: null,
  steps: [],
  times: [],
  frame: null,
  target: null,
  frameLoad: 'idle',
  frameError: null,
  playing: false,
  speed: 10,
  conceptsSource: null,
  analysis: null,
  backlog: null,
};

/** Creates the timeline slice. */
export const createTimelineSlice: StateCreator<LayerwatchState, [], [], TimelineSlice> = (set) => ({
  timeline: EMPTY,
  setTimeline: (patch) => set((s) => ({ timeline: { ...s.timeline, ...patch } })),
  resetTimeline: () => set((s) => ({ timeline: { ...EMPTY, speed: s.timeline.speed } })),
});

/** Whether the open run is a replay (finished, failed or interrupted): the scrubber travels in time instead of marking a step. */
export function selectReplay(s: LayerwatchState): boolean {
  const status = s.timeline.meta?.status;
  return status !== undefined && status !== 'live';
}

/** The timeline index the scrubber shows in a replay: where the player is going, else the frame, else the newest. */
export function selectReplayIndex(s: LayerwatchState): number {
  const t = s.timeline;
  return t.target ?? t.frame ?? t.steps.length - 1;
}

/** The run's meta as the topic reports it now (a frame's meta describes the past). */
export function selectRunMeta(s: LayerwatchState): RunMeta | null {
  return s.timeline.meta ?? s.run.meta;
}

/** The concept state as of `step`: the columns up to it (cells never change once computed, so this is what was shown then). */
export function conceptsAt(state: ConceptState, step: number): ConceptState {
  let n = 0;
  while (n < state.steps.length && state.steps[n] <= step) n++;
  return { ...state, steps: state.steps.slice(0, n), cells: state.cells.map((row) => row.slice(0, n)) };
}
