/** View slice: what the user looks at — the metric, and the checkpoint under the shared time scrubber. */
import type { StateCreator } from 'zustand/vanilla';
import { DEFAULT_METRIC, type MetricName } from '@/lib/protocol/analysis';
import type { LayerwatchState } from '../state';

export interface ViewState {
  /** Chosen metric; null follows the server's default. */
  metric: MetricName | null;
  /** Checkpoint index under the scrubber; null follows the newest checkpoint. */
  scrub: number | null;
}

export interface ViewSlice {
  view: ViewState;
  setMetric(metric: MetricName | null): void;
  setScrub(index: number | null): void;
}

/** Creates the view slice. */
export const createViewSlice: StateCreator<LayerwatchState, [], [], ViewSlice> = (set) => ({
  view: { metric: null, scrub: null },
  setMetric: (metric) => set((s) => ({ view: { ...s.view, metric } })),
  setScrub: (scrub) => set((s) => ({ view: { ...s.view, scrub } })),
});

/** The metric the views show: the user's choice, else the server's default, else the protocol's. */
export function selectMetric(s: LayerwatchState): MetricName {
  return s.view.metric ?? s.convergence.defaultMetric ?? DEFAULT_METRIC;
}

/** The checkpoint index under the scrubber (the newest when following), or -1 before the first checkpoint. */
export function selectScrubIndex(s: LayerwatchState): number {
  const n = s.run.steps.length;
  if (n === 0) return -1;
  return s.view.scrub === null ? n - 1 : Math.min(s.view.scrub, n - 1);
}
