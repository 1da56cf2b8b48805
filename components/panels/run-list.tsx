'use client';
/**
 * The runs overview: live runs first (pulsing, with their freshness), then past runs; search by name, project or config
 * value, filter by status, sort; select two to compare; import a log by dropping it. The search, filter and sort live in
 * the URL. Loading skeleton and the newcomer's empty state.
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import Link from 'next/link';
import { useLayerwatch, useTopic } from '@/store/provider';
import { groupRuns, SORTS, STATUS_FILTERS, type SortKey, type StatusFilter } from '@/store/run-filter';
import { ImportDrop } from './import-drop';
import { RunRow } from './run-row';
import { RunsEmpty } from './runs-empty';

export interface RunListQuery {
  q?: string;
  status?: string;
  sort?: string;
}

const COLUMNS = 9;

/** Renders the toolbar and the grouped table. */
export function RunList({ initial = {} }: { initial?: RunListQuery }) {
  useTopic('runs');
  const load = useLayerwatch((s) => s.runs.load);
  const byId = useLayerwatch((s) => s.runs.byId);
  const sparks = useLayerwatch((s) => s.runs.sparks);
  const extras = useLayerwatch((s) => s.runs.extras);
  const seenAt = useLayerwatch((s) => s.runs.seenAt);
  const [query, setQuery] = useState(initial.q ?? '');
  const [status, setStatus] = useState<StatusFilter>((STATUS_FILTERS as readonly string[]).includes(initial.status ?? '') ? (initial.status as StatusFilter) : 'all');
  const [sort, setSort] = useState<SortKey>(SORTS.some((s) => s.key === initial.sort) ? (initial.sort as SortKey) : 'newest');
  const [selected, setSelected] = useState<string[]>([]);
  const [now, setNow] = useState(() => Date.now());
  const groups = useMemo(() => groupRuns(Object.values(byId), query, status, sort), [byId, query, status, sort]);
  const anyLive = groups.live.length > 0;

  useEffect(() => {
    if (!anyLive) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [anyLive]);
  useEffect(() => {
    const q = new URLSearchParams(window.location.search);
    const set = (k: string, v: string, dflt: string) => (v === dflt ? q.delete(k) : q.set(k, v));
    set('q', query.trim(), '');
    set('status', status, 'all');
    set('sort', sort, 'newest');
    const text = q.toString();
    const next = `${window.location.pathname}${text ? `?${text}` : ''}`;
    if (next !== `${window.location.pathname}${window.location.search}`) window.history.replaceState(null, '', next);
  }, [query, status, sort]);
  const onSelect = useCallback((id: string, on: boolean) => setSelected((cur) => (on ? [...cur.filter((x) => x !== id), id] : cur.filter((x) => x !== id))), []);
  const live = selected.filter((id) => byId[id]);

  if (load === 'loading') {
    return (
      <div className="panel" aria-busy="true" aria-label="Loading runs" data-testid="runs-loading">
        {Array.from({ length: 6 }, (_, i) => <div key={i} className="skeleton" style={{ height: 44, marginBottom: 8 }} />)}
      </div>
    );
  }
  const total = Object.keys(byId).length;
  const rows = (list: typeof groups.live) => list.map((r) => <RunRow key={r.id} meta={r} spark={sparks[r.id]} extras={extras[r.id]} seenAt={seenAt[r.id]} now={now} selected={live.includes(r.id)} onSelect={onSelect} />);

  return (
    <>
      <div className="runs-toolbar" role="search">
        <input type="search" placeholder="Search name, project or config (lr=0.01 adam)…  /" aria-label="Search runs by name, project or config value" value={query} onChange={(e) => setQuery(e.target.value)} data-shortcut="search" data-testid="run-search" />
        <div className="segmented" role="radiogroup" aria-label="Filter by status">
          {STATUS_FILTERS.map((f) => (
            <button key={f} type="button" role="radio" aria-checked={status === f} className={status === f ? 'active' : ''} onClick={() => setStatus(f)} data-filter={f}>
              {f} <span className="count">{groups.counts[f]}</span>
            </button>
          ))}
        </div>
        <label className="small">
          Sort{' '}
          <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)} data-testid="run-sort">
            {SORTS.map((s) => <option key={s.key} value={s.key}>{s.label}</option>)}
          </select>
        </label>
        <span className="spacer" />
        {live.length === 2 ? (
          <Link className="button" href={`/compare?a=${encodeURIComponent(live[0])}&b=${encodeURIComponent(live[1])}`} data-testid="compare-selected">Compare 2 runs</Link>
        ) : (
          <button type="button" disabled data-testid="compare-selected" title="Select two runs with the boxes on the left">{live.length > 2 ? 'Select only two to compare' : 'Select two runs to compare'}</button>
        )}
        <ImportDrop />
      </div>
      {total === 0 ? (
        <RunsEmpty />
      ) : (
        <div className="panel">
          <table className="runs-table" data-testid="runs-table" data-shown={groups.live.length + groups.past.length}>
            <thead>
              <tr>
                <th scope="col"><span className="sr-only">Select</span></th>
                <th scope="col">Status</th>
                <th scope="col">Run</th>
                <th scope="col" className="num">Last step</th>
                <th scope="col" className="num">Checkpoints</th>
                <th scope="col">Main scalar</th>
                <th scope="col">Convergence</th>
                <th scope="col">Started</th>
                <th scope="col"><span className="sr-only">Log</span></th>
              </tr>
            </thead>
            {groups.live.length > 0 && (
              <tbody data-testid="live-group">
                <tr className="group-row"><th scope="rowgroup" colSpan={COLUMNS}>Live · {groups.live.length}</th></tr>
                {rows(groups.live)}
              </tbody>
            )}
            {groups.past.length > 0 && (
              <tbody data-testid="past-group">
                <tr className="group-row"><th scope="rowgroup" colSpan={COLUMNS}>Past runs · {groups.past.length}</th></tr>
                {rows(groups.past)}
              </tbody>
            )}
          </table>
          {groups.live.length + groups.past.length === 0 && (
            <p className="empty" data-testid="runs-no-match">No run matches {query ? `“${query}”` : ''}{status !== 'all' ? ` with status ${status}` : ''}. <button type="button" onClick={() => { setQuery(''); setStatus('all'); }}>Clear the search</button></p>
          )}
        </div>
      )}
    </>
  );
}
