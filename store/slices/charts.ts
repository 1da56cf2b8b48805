/** Charts slice: the scalar charts' view settings (log axes, smoothing, band) by scalar name, shared by the run and compare pages. */
import type { StateCreator } from 'zustand/vanilla';
import { withChart, type ChartSettings, type ChartSettingsMap } from '@/lib/chart/chart-settings';
import type { LayerwatchState } from '../state';

export interface ChartsSlice {
  charts: ChartSettingsMap;
  /** Changes one chart's settings (a chart back at the defaults is forgotten). */
  setChart(name: string, patch: Partial<ChartSettings>): void;
  /** Replaces every chart's settings (from the URL). */
  setCharts(map: ChartSettingsMap): void;
}

/** Creates the charts slice. */
export const createChartsSlice: StateCreator<LayerwatchState, [], [], ChartsSlice> = (set) => ({
  charts: {},
  setChart: (name, patch) => set((s) => ({ charts: withChart(s.charts, name, patch) })),
  setCharts: (charts) => set({ charts }),
});
