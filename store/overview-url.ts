/**
 * The overview's state as it lives in the URL (pure; the page and its tests share it): search, status, sort, list or
 * table view, the table's columns in order, the chart's axes and scalar, its brushes and the page.
 */
import type { RunStatus } from '@/lib/protocol/live';

export type StatusFilter = 'all' | RunStatus;
export const STATUS_FILTERS: readonly StatusFilter[] = ['all', 'live', 'finished', 'failed', 'interrupted'];
export type Dir = 'asc' | 'desc';

/** A brushed range on one chart axis (a column key). */
export interface Brush {
  axis: string;
  lo: number;
  hi: number;
}

export interface OverviewState {
  q: string;
  status: StatusFilter;
  sort: string;
  dir: Dir;
  view: 'list' | 'table';
  /** Table columns in order (column keys); empty: chosen from the keys in use. */
  cols: string[];
  /** The scalar the chart colours by and ends on (`s:loss`); empty: the first in use. */
  metric: string;
  brush: Brush[];
  page: number;
}

export const DEFAULT_STATE: OverviewState = { q: '', status: 'all', sort: 'created', dir: 'desc', view: 'list', cols: [], metric: '', brush: [], page: 0 };

/** The list's sort menu: a name per (column, direction), also the URL's `sort` for these. */
export const LIST_SORTS: Record<string, [string, Dir]> = {
  newest: ['created', 'desc'],
  oldest: ['created', 'asc'],
  name: ['name', 'asc'],
  'name-desc': ['name', 'desc'],
  step: ['step', 'desc'],
  checkpoints: ['checkpoints', 'desc'],
};

const list = (v: string | undefined) => (v ? v.split(',').filter(Boolean).slice(0, 64) : []);

/** Reads the state from URL parameters (anything malformed falls back to its default). */
export function readOverviewState(p: Record<string, string | undefined>): OverviewState {
  const legacy = Object.hasOwn(LIST_SORTS, p.sort ?? '') ? LIST_SORTS[p.sort!] : undefined;
  const status = (STATUS_FILTERS as readonly string[]).includes(p.status ?? '') ? (p.status as StatusFilter) : 'all';
  const brush: Brush[] = [];
  for (const part of (p.brush ?? '').split(';')) {
    const m = /^(.+):(-?[\d.e+-]+):(-?[\d.e+-]+)$/i.exec(part);
    if (m && Number.isFinite(Number(m[2])) && Number.isFinite(Number(m[3]))) brush.push({ axis: m[1], lo: Number(m[2]), hi: Number(m[3]) });
  }
  const page = Number(p.page ?? 0);
  return {
    q: p.q ?? '',
    status,
    sort: legacy ? legacy[0] : p.sort || DEFAULT_STATE.sort,
    dir: legacy ? legacy[1] : p.dir === 'asc' ? 'asc' : 'desc',
    view: p.view === 'table' ? 'table' : 'list',
    cols: list(p.cols),
    metric: p.metric ?? '',
    brush,
    page: Number.isInteger(page) && page > 0 ? page : 0,
  };
}

/** The state as URL parameters, defaults left out. */
export function writeOverviewState(s: OverviewState): URLSearchParams {
  const out = new URLSearchParams();
  if (s.q.trim()) out.set('q', s.q.trim());
  if (s.status !== 'all') out.set('status', s.status);
  const named = listSortName(s.sort, s.dir);
  if (named !== 'newest') out.set('sort', named ?? s.sort);
  if (!named && s.dir !== DEFAULT_STATE.dir) out.set('dir', s.dir);
  if (s.view !== 'list') out.set('view', s.view);
  if (s.cols.length) out.set('cols', s.cols.join(','));
  if (s.metric) out.set('metric', s.metric);
  if (s.brush.length) out.set('brush', s.brush.map((b) => `${b.axis}:${b.lo}:${b.hi}`).join(';'));
  if (s.page) out.set('page', String(s.page));
  return out;
}

/** The list menu's name for a sort, or null when the menu has none. */
export function listSortName(sort: string, dir: Dir): string | null {
  return Object.entries(LIST_SORTS).find(([, [k, d]]) => k === sort && d === dir)?.[0] ?? null;
}

/** A column key as a query key (`c:optimizer.lr` → `config.optimizer.lr`), or null when the query language cannot name it. */
export function queryKey(column: string): string | null {
  const prefix = column.startsWith('c:') ? 'config.' : column.startsWith('s:') ? 'scalar.' : column.startsWith('l:') ? 'settle.' : '';
  const key = prefix ? prefix + column.slice(2) : column;
  return /^[A-Za-z_][\w.\-/@]*$/.test(key) ? key : null;
}

/** The brushes as query terms (`config.lr>=0.001 config.lr<=0.01`), for the server's `brush` parameter. */
export function brushTerms(brush: readonly Brush[]): string {
  return brush
    .flatMap((b) => {
      const k = queryKey(b.axis);
      return k ? [`${k}>=${b.lo}`, `${k}<=${b.hi}`] : [];
    })
    .join(' ');
}

/** Columns to show when none were chosen: config keys, then the scalars, then settle steps, a few of each. */
export function defaultColumns(keys: { config: string[]; scalars: string[]; layers: string[] }): string[] {
  return [...keys.config.slice(0, 6), ...keys.scalars.slice(0, 3), ...keys.layers.slice(0, 4)];
}
