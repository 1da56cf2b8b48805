/** The Training panel's charts: one per scalar; a scalar kept per rank (`loss{rank=r}`) is one chart with a line per rank; system metrics are the System panel's. */
import { parseRankSeries } from '../protocol/ranks';
import { isSystemSeries } from './system-series';

export interface ScalarGroup {
  /** The scalar's name (a chart's title). */
  name: string;
  /** Its series, rank order: one unless kept per rank. */
  lines: Array<{ series: string; label: string }>;
}

/** Groups logged series names into the Training panel's charts (order of first appearance; the panel sorts them). */
export function scalarGroups(names: readonly string[]): ScalarGroup[] {
  const groups = new Map<string, Array<{ series: string; label: string; rank: number }>>();
  for (const series of names) {
    if (isSystemSeries(series)) continue;
    const parsed = parseRankSeries(series);
    const name = parsed?.name ?? series;
    if (!groups.has(name)) groups.set(name, []);
    groups.get(name)!.push({ series, label: parsed ? `rank ${parsed.rank}` : name, rank: parsed?.rank ?? -1 });
  }
  return [...groups].map(([name, lines]) => ({ name, lines: lines.sort((a, b) => a.rank - b.rank).map(({ series, label }) => ({ series, label })) }));
}
