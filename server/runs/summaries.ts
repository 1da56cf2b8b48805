/**
 * The overview's in-memory index: one summary per run (its meta, flattened fields and search text), built from the run
 * index (index.json, one read at start; no log is opened) and kept current from the registry's run-list deltas. It
 * answers a page of a filtered, sorted run list, the column keys in use, and the points of a parallel-coordinates
 * chart, so the browser never receives every run.
 */
import type { OverviewPage, RunMeta, RunStatus, RunsDelta } from '../../lib/protocol';
import { runFields, runSearchText, type FieldValue } from '../../lib/runs/fields';
import { compareBy, matchesTerms, parseQuery, resolveKey, type Matchable } from '../../lib/runs/query';

/** A run's summary: its fields and search text are computed on first use (a start with 10,000 runs allocates nothing per run). */
class Summary implements Matchable {
  private f: Map<string, FieldValue> | null = null;
  private t: string | null = null;
  constructor(readonly meta: RunMeta) {}
  get fields(): Map<string, FieldValue> {
    return (this.f ??= runFields(this.meta));
  }
  get text(): string {
    return (this.t ??= runSearchText(this.meta));
  }
  get tags(): readonly string[] {
    return this.meta.tags ?? [];
  }
}

export type StatusFilter = 'all' | RunStatus;
const STATUSES: readonly StatusFilter[] = ['all', 'live', 'finished', 'failed', 'interrupted'];

export interface SummaryQuery {
  q: string;
  /** Extra terms (a parallel-coordinates brush): they select rows, not the chart's lines. */
  brush: string;
  status: StatusFilter;
  sort: string;
  dir: 'asc' | 'desc';
  /** Live runs before the others (the list mode's groups). */
  liveFirst: boolean;
  offset: number;
  limit: number;
  /** Column keys whose numeric values the chart wants, per matched run. */
  axes: string[];
}

/** The answer (lib/protocol/overview.ts); `points` holds at most MAX_POINTS runs. */
export type SummaryPage = OverviewPage;

export const MAX_PAGE = 200;
export const MAX_POINTS = 2000;
const MAX_KEYS = 300;

export class RunSummaries {
  private readonly runs = new Map<string, Summary>();
  /** How many runs use each column key (config `c:`, scalar `s:`, layer `l:`), for the column chooser; built on first use. */
  private keyCounts: Map<string, number> | null = null;

  /** Builds the index from run metas (the run index's list). */
  constructor(metas: Iterable<RunMeta>) {
    for (const m of metas) this.upsert(m);
  }

  get size(): number {
    return this.runs.size;
  }

  /** Applies a run-list delta. */
  apply(delta: RunsDelta): void {
    switch (delta.kind) {
      case 'run':
        return this.upsert(delta.meta);
      case 'removed':
        return this.remove(delta.id);
      default: {
        const _exhaustive: never = delta;
        return _exhaustive;
      }
    }
  }

  private upsert(meta: RunMeta): void {
    const old = this.runs.get(meta.id);
    if (old) this.count(old, -1);
    const s = new Summary(meta);
    this.runs.set(meta.id, s);
    this.count(s, 1);
  }

  private remove(id: string): void {
    const old = this.runs.get(id);
    if (!old) return;
    this.count(old, -1);
    this.runs.delete(id);
  }

  private count(s: Summary, by: 1 | -1): void {
    const counts = this.keyCounts;
    if (!counts) return;
    for (const k of s.fields.keys()) {
      if (k[1] !== ':') continue;
      const n = (counts.get(k) ?? 0) + by;
      if (n > 0) counts.set(k, n);
      else counts.delete(k);
    }
  }

  /** Computes every summary's fields now (the server does it in the background after it starts listening). */
  warm(): void {
    if (this.keyCounts) return;
    this.keyCounts = new Map();
    for (const s of this.runs.values()) this.count(s, 1);
  }

  /** One page of the runs matching the query, sorted, with counts per status and the keys in use. */
  query(o: SummaryQuery): SummaryPage {
    const terms = parseQuery(o.q);
    const brush = parseQuery(o.brush);
    const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<StatusFilter, number>;
    const found: Summary[] = [];
    const chart: Array<{ s: Summary; selected: boolean }> = [];
    for (const s of this.runs.values()) {
      if (!matchesTerms(terms, s)) continue;
      const selected = matchesTerms(brush, s);
      if (o.status === 'all' || s.meta.status === o.status) chart.push({ s, selected });
      if (!selected) continue;
      counts.all++;
      counts[s.meta.status]++;
      if (o.status === 'all' || s.meta.status === o.status) found.push(s);
    }
    const by = compareBy(o.sort, o.dir);
    const newest = compareBy('created', 'desc');
    const order = (a: Summary, b: Summary) => (o.liveFirst ? liveRank(a) - liveRank(b) : 0) || by(a, b) || newest(a, b);
    const end = o.offset + Math.min(o.limit, MAX_PAGE);
    const rows = firstInOrder(found, end, order)
      .slice(o.offset, end)
      .map((s) => s.meta);
    const page: SummaryPage = { total: this.runs.size, matched: found.length, counts, offset: o.offset, rows, keys: this.keys() };
    if (o.axes.length) page.points = points(chart, o.axes);
    return page;
  }

  private keys(): SummaryPage['keys'] {
    this.warm();
    const byUse = [...this.keyCounts!.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    const of = (p: string) =>
      byUse
        .filter(([k]) => k.startsWith(p))
        .slice(0, MAX_KEYS)
        .map(([k]) => k);
    return { config: of('c:'), scalars: of('s:'), layers: of('l:') };
  }
}

const liveRank = (s: Summary) => (s.meta.status === 'live' ? 0 : 1);

/**
 * The first `n` items of `items` in the order a stable sort by `order` would give, without sorting all of them: a page
 * of 50 out of 10,000 matches keeps a sorted list of 50 and compares most items once, with its last.
 */
export function firstInOrder<T>(items: T[], n: number, order: (a: T, b: T) => number): T[] {
  if (n <= 0) return [];
  if (n * 4 >= items.length) return items.sort(order).slice(0, n);
  const best: T[] = [];
  for (const item of items) {
    if (best.length === n && order(item, best[n - 1]) >= 0) continue;
    // After every equal item already kept: a later item goes after the equal ones, as in a stable sort.
    let lo = 0;
    let hi = best.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (order(item, best[mid]) < 0) hi = mid;
      else lo = mid + 1;
    }
    best.splice(lo, 0, item);
    if (best.length > n) best.pop();
  }
  return best;
}

function points(chart: Array<{ s: Summary; selected: boolean }>, axes: string[]): NonNullable<SummaryPage['points']> {
  const shown = chart.slice(0, MAX_POINTS);
  const value = (s: Summary, axis: string): number | null => {
    // An axis is a column key; a bare key (typed in a URL) resolves as in a query.
    const key = s.fields.has(axis) ? axis : resolveKey(axis, s.fields);
    const v = key === null ? undefined : s.fields.get(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : null;
  };
  return {
    axes,
    ids: shown.map((c) => c.s.meta.id),
    values: shown.map((c) => axes.map((a) => value(c.s, a))),
    selected: shown.map((c) => c.selected),
    truncated: chart.length > shown.length,
  };
}
