/**
 * The System panel's data: which logged series are system metrics (`system/…`, sent by the Python client's sampler),
 * how they group into charts (one line per GPU and per rank), and their wall-clock axis (from `system/time`).
 */
import { parseRankSeries } from '../protocol/ranks';
import type { SeriesBuffer } from './series-buffer';

export const SYSTEM_PREFIX = 'system/';
/** The sample's wall time (Unix seconds): the wall-clock axis, not a chart. */
export const SYSTEM_TIME = 'system/time';

/** The charts of the System panel, in order; a series belongs to the first whose pattern matches its metric name. */
export const SYSTEM_CHARTS = [
  { id: 'cpu', title: 'CPU · training process', yLabel: '% of one core', pattern: /^system\/cpu_percent$/ },
  { id: 'rss', title: 'Memory · training process', yLabel: 'RSS, MiB', pattern: /^system\/rss_mb$/ },
  { id: 'memory', title: 'Memory · machine', yLabel: '% used', pattern: /^system\/memory_percent$/ },
  { id: 'gpu-util', title: 'GPU utilisation', yLabel: '%', pattern: /^system\/gpu(\d+)\/utilization_percent$/ },
  { id: 'gpu-memory', title: 'GPU memory · this process', yLabel: 'allocated, MiB', pattern: /^system\/gpu(\d+)\/memory_allocated_mb$/ },
  { id: 'gpu-used', title: 'GPU memory · device', yLabel: '% used', pattern: /^system\/gpu(\d+)\/memory_used_percent$/ },
] as const;

export type SystemChartId = (typeof SYSTEM_CHARTS)[number]['id'];

/** One line of a System chart: the series name, and its label (the GPU and/or rank it is about). */
export interface SystemLine {
  series: string;
  label: string;
  /** The rank the series is of (per-rank samples), else null. */
  rank: number | null;
}

/** Whether a logged series is a system metric (also a per-rank one, `system/…{rank=r}`). */
export function isSystemSeries(name: string): boolean {
  return (parseRankSeries(name)?.name ?? name).startsWith(SYSTEM_PREFIX);
}

/** The System charts that have data among `names`, each with its lines (GPU, then rank order). */
export function systemCharts(names: readonly string[]): Array<{ id: SystemChartId; title: string; yLabel: string; lines: SystemLine[] }> {
  const out = [];
  for (const chart of SYSTEM_CHARTS) {
    const lines: Array<SystemLine & { gpu: number }> = [];
    for (const series of names) {
      const parsed = parseRankSeries(series);
      const m = chart.pattern.exec(parsed?.name ?? series);
      if (!m) continue;
      const gpu = m[1] === undefined ? -1 : Number(m[1]);
      const parts = [gpu >= 0 ? `GPU ${gpu}` : null, parsed ? `rank ${parsed.rank}` : null].filter(Boolean);
      lines.push({ series, label: parts.join(', ') || chart.title, rank: parsed?.rank ?? null, gpu });
    }
    lines.sort((a, b) => a.gpu - b.gpu || (a.rank ?? -1) - (b.rank ?? -1));
    if (lines.length) out.push({ id: chart.id, title: chart.title, yLabel: chart.yLabel, lines: lines.map(({ gpu: _gpu, ...l }) => l) });
  }
  return out;
}

/** The wall-time series that goes with `series` (the same rank's `system/time`). */
export function timeSeriesFor(series: string): string {
  const parsed = parseRankSeries(series);
  return parsed ? `${SYSTEM_TIME}{rank=${parsed.rank}}` : SYSTEM_TIME;
}

/**
 * Seconds since `t0` (Unix seconds) at each of `steps`, read off a time series (steps → Unix seconds, both ascending)
 * by linear interpolation; clamped to its first and last sample. NaN where there is no time series.
 */
export function wallSeconds(steps: ArrayLike<number>, length: number, time: SeriesBuffer | undefined, t0: number): Float64Array {
  const out = new Float64Array(length).fill(Number.NaN);
  if (!time || time.length === 0) return out;
  let j = 0;
  for (let i = 0; i < length; i++) {
    const s = steps[i];
    while (j < time.length - 1 && time.xs[j + 1] <= s) j++;
    let t: number;
    if (s <= time.xs[0]) t = time.ys[0];
    else if (j >= time.length - 1) t = time.ys[time.length - 1];
    else {
      const f = (s - time.xs[j]) / (time.xs[j + 1] - time.xs[j]);
      t = time.ys[j] + f * (time.ys[j + 1] - time.ys[j]);
    }
    out[i] = t - t0;
  }
  return out;
}

/** The wall-clock axis's unit for a span of `seconds`: seconds up to 3 minutes, then minutes, then hours past 3 hours. */
export function wallUnit(seconds: number): { unit: 's' | 'min' | 'h'; per: number } {
  if (!(seconds > 180)) return { unit: 's', per: 1 };
  return seconds > 10_800 ? { unit: 'h', per: 3600 } : { unit: 'min', per: 60 };
}

/** The earliest sample time (Unix seconds) over the given time series, or NaN. */
export function firstTime(series: ReadonlyArray<SeriesBuffer | undefined>): number {
  let t0 = Number.NaN;
  for (const s of series) if (s?.length && !(s.ys[0] >= t0)) t0 = s.ys[0];
  return t0;
}
