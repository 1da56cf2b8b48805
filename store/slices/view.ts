/** View slice: what the user looks at — the metric, the checkpoint under the shared time scrubber, and the expanded panels. */
import type { StateCreator } from 'zustand/vanilla';
import { DEFAULT_METRIC, METRICS, type MetricName } from '@/lib/protocol/analysis';
import type { LayerwatchState } from '../state';

/** The run page's panels, in layout order (their ids appear in the URL's `open` parameter). */
export const PANELS = ['convergence', 'scalars', 'advice', 'concepts', 'matrix', 'k', 'system'] as const;
export type PanelId = (typeof PANELS)[number];

export interface ViewState {
  /** Chosen metric; null follows the server's default. */
  metric: MetricName | null;
  /** Checkpoint index under the scrubber; null follows the newest checkpoint. */
  scrub: number | null;
  /** Panels shown expanded (full width, every detail). */
  open: PanelId[];
  /** Whether the keyboard help is shown. */
  help: boolean;
}

export interface ViewSlice {
  view: ViewState;
  setMetric(metric: MetricName | null): void;
  cycleMetric(): void;
  setScrub(index: number | null): void;
  togglePanel(id: PanelId, open?: boolean): void;
  setOpenPanels(ids: PanelId[]): void;
  setHelp(open: boolean): void;
}

/** Creates the view slice. */
export const createViewSlice: StateCreator<LayerwatchState, [], [], ViewSlice> = (set, get) => ({
  view: { metric: null, scrub: null, open: [], help: false },
  setMetric: (metric) => set((s) => ({ view: { ...s.view, metric } })),
  cycleMetric: () => {
    const current = selectMetric(get());
    const next = METRICS[(METRICS.indexOf(current) + 1) % METRICS.length];
    set((s) => ({ view: { ...s.view, metric: next } }));
  },
  setScrub: (scrub) => set((s) => ({ view: { ...s.view, scrub } })),
  togglePanel: (id, open) =>
    set((s) => {
      const isOpen = s.view.open.includes(id);
      const want = open ?? !isOpen;
      if (want === isOpen) return s;
      return { view: { ...s.view, open: want ? PANELS.filter((p) => p === id || s.view.open.includes(p)) : s.view.open.filter((p) => p !== id) } };
    }),
  setOpenPanels: (ids) => set((s) => ({ view: { ...s.view, open: PANELS.filter((p) => ids.includes(p)) } })),
  setHelp: (help) => set((s) => ({ view: { ...s.view, help } })),
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

/** Parses the URL's `open` parameter into known panel ids. */
export function parsePanels(value: string | null | undefined): PanelId[] {
  const parts = (value ?? '').split(',');
  return PANELS.filter((p) => parts.includes(p));
}
