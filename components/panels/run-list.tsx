'use client';
/**
 * The runs overview: a search with a small query language (`lr>0.001 tag:baseline adam`), a status filter, and one
 * page of runs from the server (GET /api/overview; the browser never holds every run). Two views: the list (live runs
 * first, pulsing, with sparklines and convergence thumbnails) and the table (one column per config key, last scalar
 * values and settle steps, sortable, columns chosen and ordered, a parallel-coordinates chart whose brushes select
 * runs). Select 2–8 runs to compare; drop a log to import it. Everything lives in the URL.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import Link from 'next/link';
import { MAX_COMPARE_RUNS } from '@/lib/compare/compare-runs';
import { useLayerwatch } from '@/store/provider';
import { brushTerms, LIST_SORTS, listSortName, readOverviewState, STATUS_FILTERS, writeOverviewState, type OverviewState } from '@/store/overview-url';
import { columnLabel } from '@/lib/runs/fields';
import { ImportDrop } from './import-drop';
import { RunRow } from './run-row';
import { RunsEmpty } from './runs-empty';
import { RunTable } from './run-table';
import { useOverview } from './use-overview';

export type RunListQuery = Record<string, string | undefined>;

export const PAGE_SIZE = 50;
const SORT_LABELS: Record<string, string> = {
  newest: 'Newest first',
  oldest: 'Oldest first',
  name: 'Name A–Z',
  'name-desc': 'Name Z–A',
  step: 'Most steps',
  checkpoints: 'Most checkpoints',
};
const COLUMNS = 9;
const URL_DELAY_MS = 300;

/** The server parameters for a state (the chart's axes are added by the table). */
export function overviewParams(s: OverviewState, axes: string[]): string {
  const p = new URLSearchParams({ q: s.q, status: s.status, sort: s.sort, dir: s.dir, offset: String(s.page * PAGE_SIZE), limit: String(PAGE_SIZE) });
  if (s.view === 'list') p.set('group', 'live');
  const brush = brushTerms(s.brush);
  if (brush) p.set('brush', brush);
  if (axes.length) p.set('axes', axes.join(','));
  return p.toString();
}

/** Renders the toolbar, the current view and the pager. */
export function RunList({ initial = {} }: { initial?: RunListQuery }) {
  const [state, setState] = useState<OverviewState>(() => readOverviewState(initial));
  const [axes, setAxes] = useState<string[]>([]);
  // The table reports its chart's axes after each render: keep the same array while they are the same keys.
  const onAxes = useCallback((next: string[]) => setAxes((cur) => (cur.join('\n') === next.join('\n') ? cur : next)), []);
  const params = useMemo(() => overviewParams(state, state.view === 'table' ? axes : []), [state, axes]);
  const { page, answered, error } = useOverview(params);
  const byId = useLayerwatch((s) => s.runs.byId);
  const sparks = useLayerwatch((s) => s.runs.sparks);
  const extras = useLayerwatch((s) => s.runs.extras);
  const seenAt = useLayerwatch((s) => s.runs.seenAt);
  const [selected, setSelected] = useState<string[]>([]);
  const [now, setNow] = useState(() => Date.now());
  const update = useCallback((patch: Partial<OverviewState>) => setState((s) => ({ ...s, page: 0, ...patch })), []);
  const rows = (page?.rows ?? []).map((r) => byId[r.id] ?? r);
  const anyLive = rows.some((r) => r.status === 'live');

  useEffect(() => {
    if (!anyLive) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [anyLive]);
  // The URL follows once typing pauses: Next's router answers each history.replaceState with a restore of its own
  // (a re-render and a refetch of the page's icon), which cost tens of ms per key.
  useEffect(() => {
    const t = setTimeout(() => {
      const text = writeOverviewState(state).toString();
      const next = `${window.location.pathname}${text ? `?${text}` : ''}`;
      if (next !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, '', next);
    }, URL_DELAY_MS);
    return () => clearTimeout(t);
  }, [state]);
  const onSelect = useCallback(
    (id: string, on: boolean) => setSelected((cur) => (on ? [...cur.filter((x) => x !== id), id] : cur.filter((x) => x !== id))),
    [],
  );

  if (!page) {
    return error ? (
      <p className="panel error-text" role="alert">
        {error}
      </p>
    ) : (
      <div className="panel" role="status" aria-busy="true" aria-label="Loading runs" data-testid="runs-loading">
        {Array.from({ length: 6 }, (_, i) => (
          <div key={i} className="skeleton" style={{ height: 44, marginBottom: 8 }} />
        ))}
      </div>
    );
  }
  const sortName = listSortName(state.sort, state.dir);
  const live = rows.filter((r) => r.status === 'live');
  const past = rows.filter((r) => r.status !== 'live');
  const listRows = (list: typeof rows) =>
    list.map((r) => (
      <RunRow
        key={r.id}
        meta={r}
        spark={sparks[r.id]}
        extras={extras[r.id]}
        seenAt={seenAt[r.id]}
        now={now}
        selected={selected.includes(r.id)}
        onSelect={onSelect}
      />
    ));
  const pages = Math.max(1, Math.ceil(page.matched / PAGE_SIZE));

  return (
    <>
      <div className="runs-toolbar" role="search">
        <input
          type="search"
          placeholder="Search: adam  lr>0.001  tag:baseline  -status:failed   /"
          aria-label="Search runs: free text, key>value, tag:NAME"
          value={state.q}
          onChange={(e) => update({ q: e.target.value })}
          data-shortcut="search"
          data-testid="run-search"
        />
        <div className="segmented" role="radiogroup" aria-label="Filter by status">
          {STATUS_FILTERS.map((f) => (
            <button
              key={f}
              type="button"
              role="radio"
              aria-checked={state.status === f}
              className={state.status === f ? 'active' : ''}
              onClick={() => update({ status: f })}
              data-filter={f}
            >
              {f} <span className="count">{page.counts[f]}</span>
            </button>
          ))}
        </div>
        <div className="segmented" role="radiogroup" aria-label="View">
          {(['list', 'table'] as const).map((v) => (
            <button
              key={v}
              type="button"
              role="radio"
              aria-checked={state.view === v}
              className={state.view === v ? 'active' : ''}
              onClick={() => update({ view: v })}
              data-view={v}
            >
              {v}
            </button>
          ))}
        </div>
        {state.view === 'list' && (
          <label className="small">
            Sort{' '}
            <select
              value={sortName ?? ''}
              onChange={(e) => {
                const [sort, dir] = LIST_SORTS[e.target.value];
                update({ sort, dir });
              }}
              data-testid="run-sort"
            >
              {!sortName && <option value="">by {columnLabel(state.sort)}</option>}
              {Object.keys(LIST_SORTS).map((k) => (
                <option key={k} value={k}>
                  {SORT_LABELS[k]}
                </option>
              ))}
            </select>
          </label>
        )}
        <span className="spacer" />
        {selected.length >= 2 && selected.length <= MAX_COMPARE_RUNS ? (
          <Link className="button" href={`/compare?runs=${selected.map(encodeURIComponent).join(',')}`} data-testid="compare-selected">
            Compare {selected.length} runs
          </Link>
        ) : (
          <button type="button" disabled data-testid="compare-selected" title={`Select 2 to ${MAX_COMPARE_RUNS} runs with the boxes on the left`}>
            {selected.length > MAX_COMPARE_RUNS ? `Select at most ${MAX_COMPARE_RUNS} to compare` : 'Select 2 or more runs to compare'}
          </button>
        )}
        <ImportDrop />
      </div>
      {error && (
        <p className="error-text small" role="alert">
          {error}
        </p>
      )}
      {page.total === 0 ? (
        <RunsEmpty />
      ) : state.view === 'table' ? (
        <RunTable page={page} rows={rows} state={state} update={update} answered={answered} onAxes={onAxes} selected={selected} onSelect={onSelect} />
      ) : (
        <div className="panel">
          <table className="runs-table" data-testid="runs-table" data-shown={rows.length} data-matched={page.matched} data-answered={answered}>
            <thead>
              <tr>
                <th scope="col">
                  <span className="sr-only">Select</span>
                </th>
                <th scope="col">Status</th>
                <th scope="col">Run</th>
                <th scope="col" className="num">
                  Last step
                </th>
                <th scope="col" className="num">
                  Checkpoints
                </th>
                <th scope="col">Main scalar</th>
                <th scope="col">Convergence</th>
                <th scope="col">Started</th>
                <th scope="col">
                  <span className="sr-only">Log</span>
                </th>
              </tr>
            </thead>
            {live.length > 0 && (
              <tbody data-testid="live-group">
                <tr className="group-row">
                  <th scope="rowgroup" colSpan={COLUMNS}>
                    Live · {page.counts.live}
                  </th>
                </tr>
                {listRows(live)}
              </tbody>
            )}
            {past.length > 0 && (
              <tbody data-testid="past-group">
                <tr className="group-row">
                  <th scope="rowgroup" colSpan={COLUMNS}>
                    Past runs · {page.matched - (state.status === 'all' || state.status === 'live' ? page.counts.live : 0)}
                  </th>
                </tr>
                {listRows(past)}
              </tbody>
            )}
          </table>
        </div>
      )}
      {page.total > 0 && page.matched === 0 && (
        <p className="empty" data-testid="runs-no-match">
          No run matches {state.q ? `“${state.q}”` : ''}
          {state.status !== 'all' ? ` with status ${state.status}` : ''}
          {state.brush.length ? ' inside the brushed ranges' : ''}.{' '}
          <button type="button" onClick={() => update({ q: '', status: 'all', brush: [] })}>
            Clear the search
          </button>
        </p>
      )}
      {page.matched > PAGE_SIZE && (
        <nav className="runs-pager" aria-label="Pages of runs" data-testid="runs-pager">
          <span>
            {page.offset + 1}–{page.offset + rows.length} of {page.matched}
          </span>
          <button type="button" disabled={state.page === 0} onClick={() => setState((s) => ({ ...s, page: s.page - 1 }))}>
            Previous
          </button>
          <span>
            page {state.page + 1} of {pages}
          </span>
          <button type="button" disabled={state.page + 1 >= pages} onClick={() => setState((s) => ({ ...s, page: s.page + 1 }))} data-testid="next-page">
            Next
          </button>
        </nav>
      )}
    </>
  );
}
