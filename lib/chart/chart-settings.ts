/**
 * Per-chart view settings of the scalar charts (log axes, smoothing, min/max band), keyed by scalar name and kept in the
 * URL as repeated parameters, so any scalar name round-trips: `logx=NAME`, `logy=NAME`, `smooth=NAME:0.6`, `band=NAME`.
 * The run page and the compare page read and write the same parameters.
 */
import { clampSmoothing } from './smoothing';

export interface ChartSettings {
  logX: boolean;
  logY: boolean;
  /** EMA weight in [0, 0.99]; 0 draws the raw series only. */
  smoothing: number;
  /** Shade the min/max of the raw values each smoothed point stands for (drawn only while smoothing). */
  band: boolean;
}

export type ChartSettingsMap = Readonly<Record<string, ChartSettings>>;

export const DEFAULT_CHART: ChartSettings = Object.freeze({ logX: false, logY: false, smoothing: 0, band: false });

/** The URL parameters the chart settings own. */
export const CHART_PARAMS = ['logx', 'logy', 'smooth', 'band'] as const;

/** Whether settings differ from the defaults (only those are kept and written). */
export function isDefaultChart(s: ChartSettings): boolean {
  return !s.logX && !s.logY && s.smoothing === 0 && !s.band;
}

/** Settings with a patch applied and the weight clamped; a chart back at the defaults is removed. */
export function withChart(map: ChartSettingsMap, name: string, patch: Partial<ChartSettings>): ChartSettingsMap {
  const next = { ...(map[name] ?? DEFAULT_CHART), ...patch };
  next.smoothing = clampSmoothing(next.smoothing);
  const { [name]: _old, ...rest } = map;
  return isDefaultChart(next) ? rest : { ...rest, [name]: next };
}

/** Reads the chart parameters of a query (unknown names are kept: the chart may appear later; bad weights are ignored). */
export function parseChartParams(q: URLSearchParams): ChartSettingsMap {
  let map: ChartSettingsMap = {};
  for (const name of q.getAll('logx')) if (name) map = withChart(map, name, { logX: true });
  for (const name of q.getAll('logy')) if (name) map = withChart(map, name, { logY: true });
  for (const name of q.getAll('band')) if (name) map = withChart(map, name, { band: true });
  for (const item of q.getAll('smooth')) {
    const at = item.lastIndexOf(':');
    if (at <= 0) continue;
    const w = Number(item.slice(at + 1));
    if (Number.isFinite(w)) map = withChart(map, item.slice(0, at), { smoothing: w });
  }
  return map;
}

/** Replaces the chart parameters of `q` (in place) with those of the settings, names in sorted order. */
export function writeChartParams(q: URLSearchParams, map: ChartSettingsMap): void {
  for (const p of CHART_PARAMS) q.delete(p);
  const names = Object.keys(map).sort();
  for (const n of names) if (map[n].logX) q.append('logx', n);
  for (const n of names) if (map[n].logY) q.append('logy', n);
  for (const n of names) if (map[n].smoothing > 0) q.append('smooth', `${n}:${map[n].smoothing}`);
  for (const n of names) if (map[n].band) q.append('band', n);
}

/** A short reading of the settings for captions and figures: "EMA 0.6 · log y", or "" at the defaults. */
export function describeChart(s: ChartSettings): string {
  const parts: string[] = [];
  if (s.smoothing > 0) parts.push(`EMA ${s.smoothing}${s.band ? ' with min/max band' : ''}`);
  if (s.logX && s.logY) parts.push('log x, log y');
  else if (s.logX) parts.push('log x');
  else if (s.logY) parts.push('log y');
  return parts.join(' · ');
}
