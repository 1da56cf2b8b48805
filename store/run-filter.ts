/** Search, status filter and sort of the run list (pure; the overview and its tests share it). */
import type { RunMeta, RunStatus } from '@/lib/protocol/live';

export type StatusFilter = 'all' | RunStatus;
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'live', 'finished', 'failed', 'interrupted'];
export type SortKey = 'newest' | 'oldest' | 'name' | 'name-desc' | 'step' | 'checkpoints';
export const SORTS: ReadonlyArray<{ key: SortKey; label: string }> = [
  { key: 'newest', label: 'Newest first' },
  { key: 'oldest', label: 'Oldest first' },
  { key: 'name', label: 'Name A–Z' },
  { key: 'name-desc', label: 'Name Z–A' },
  { key: 'step', label: 'Most steps' },
  { key: 'checkpoints', label: 'Most checkpoints' },
];

/** A run's config flattened to "path=value" strings ("optimizer.lr=0.001"), at most 200 of them. */
export function configTerms(config: unknown, prefix = '', out: string[] = []): string[] {
  if (out.length >= 200) return out;
  if (config !== null && typeof config === 'object') {
    for (const [k, v] of Object.entries(config as Record<string, unknown>)) configTerms(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (config !== undefined) out.push(prefix ? `${prefix}=${String(config)}` : String(config));
  return out;
}

/** The lower-case text a search looks in: name, project, id and every config path=value. */
export function searchText(meta: RunMeta): string {
  return [meta.name, meta.project ?? '', meta.id, ...configTerms(meta.config)].join('\n').toLowerCase();
}

/** Whether every whitespace-separated term of `query` occurs in the run's search text. */
export function matchesQuery(meta: RunMeta, query: string): boolean {
  const terms = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return true;
  const text = searchText(meta);
  return terms.every((t) => text.includes(t));
}

const cmp: Record<SortKey, (a: RunMeta, b: RunMeta) => number> = {
  newest: (a, b) => b.createdAt - a.createdAt,
  oldest: (a, b) => a.createdAt - b.createdAt,
  name: (a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }) || b.createdAt - a.createdAt,
  'name-desc': (a, b) => b.name.localeCompare(a.name, undefined, { numeric: true }) || b.createdAt - a.createdAt,
  step: (a, b) => (b.lastStep ?? -1) - (a.lastStep ?? -1) || b.createdAt - a.createdAt,
  checkpoints: (a, b) => b.checkpoints - a.checkpoints || b.createdAt - a.createdAt,
};

export interface RunGroups {
  live: RunMeta[];
  past: RunMeta[];
  /** Matches of the search per status (before the status filter), for the filter's counts. */
  counts: Record<StatusFilter, number>;
}

/** Searches, counts, filters and sorts; live runs come first in their own group. */
export function groupRuns(runs: readonly RunMeta[], query: string, status: StatusFilter, sort: SortKey): RunGroups {
  const found = runs.filter((r) => matchesQuery(r, query));
  const counts = { all: found.length, live: 0, finished: 0, failed: 0, interrupted: 0 } as Record<StatusFilter, number>;
  for (const r of found) counts[r.status]++;
  const shown = status === 'all' ? found : found.filter((r) => r.status === status);
  const sorted = [...shown].sort(cmp[sort]);
  return { live: sorted.filter((r) => r.status === 'live'), past: sorted.filter((r) => r.status !== 'live'), counts };
}
