'use client';
/**
 * The overview's table mode: one row per run, one column per chosen key (config keys as given, the last value of
 * scalars, each layer's settle step), sorted on the server by a header click; above it, a parallel-coordinates chart
 * of the numeric config columns against a chosen scalar, whose brushes select runs (they become query terms).
 */
import { useCallback, useDeferredValue, useEffect, useMemo } from 'react';
import type { OverviewPage, RunMeta } from '@/lib/protocol';
import { columnLabel } from '@/lib/runs/fields';
import { useLayerwatchApi } from '@/store/provider';
import { defaultColumns, type Brush, type OverviewState } from '@/store/overview-url';
import { numericAxes, ParallelCoords } from '@/components/charts/parallel-coords';
import { ColumnChooser } from './column-chooser';
import { RunTableRow } from './run-table-row';

interface Props {
  page: OverviewPage;
  rows: RunMeta[];
  state: OverviewState;
  update: (patch: Partial<OverviewState>) => void;
  answered: string;
  onAxes: (axes: string[]) => void;
  selected: string[];
  onSelect: (id: string, on: boolean) => void;
}

const MAX_AXES = 6;

/** Renders the chart, the column chooser and the table. */
export function RunTable({ page, rows, state, update, answered, onAxes, selected, onSelect }: Props) {
  const store = useLayerwatchApi();
  const columns = useMemo(() => (state.cols.length ? state.cols : defaultColumns(page.keys)), [state.cols, page.keys]);
  // The chart's scalar: the one chosen, else the table's first scalar column, else loss, else the most used.
  const metric = state.metric || columns.find((c) => c.startsWith('s:')) || (page.keys.scalars.includes('s:loss') ? 's:loss' : page.keys.scalars[0]) || '';
  const axes = useMemo(() => [...columns.filter((c) => c.startsWith('c:')).slice(0, MAX_AXES - 1), ...(metric ? [metric] : [])], [columns, metric]);
  useEffect(() => onAxes(axes), [axes, onAxes]);
  // The chart draws up to 2,000 lines: it follows the table at a lower priority, so typing shows the rows first.
  const points = useDeferredValue(page.points);
  const onBrush = useCallback((brush: Brush[]) => update({ brush }), [update]);
  const onSaved = useCallback((meta: RunMeta) => store.getState().applyRunsDelta({ kind: 'run', meta }), [store]);
  const sortBy = (key: string) =>
    update(state.sort === key ? { dir: state.dir === 'asc' ? 'desc' : 'asc' } : { sort: key, dir: key.startsWith('c:') || key === 'name' ? 'asc' : 'desc' });
  const header = (key: string, label: string, num: boolean) => (
    <th
      key={key}
      scope="col"
      className={num ? 'num' : undefined}
      aria-sort={state.sort === key ? (state.dir === 'asc' ? 'ascending' : 'descending') : 'none'}
      data-col={key}
    >
      <button type="button" className="sort" onClick={() => sortBy(key)} title={`Sort by ${label}`}>
        {label}
      </button>
    </th>
  );

  return (
    <div className="panel" data-testid="hp-view">
      <div className="runs-toolbar">
        <label className="small">
          Chart scalar{' '}
          <select value={metric} onChange={(e) => update({ metric: e.target.value })} data-testid="chart-metric">
            {page.keys.scalars.map((k) => (
              <option key={k} value={k}>
                {k.slice(2)}
              </option>
            ))}
          </select>
        </label>
        {state.brush.length > 0 && (
          <button type="button" onClick={() => update({ brush: [] })} data-testid="clear-brush">
            Clear {state.brush.length} brushed range{state.brush.length > 1 ? 's' : ''}
          </button>
        )}
        <span className="spacer" />
        <ColumnChooser keys={page.keys} columns={columns} onChange={(cols) => update({ cols })} />
      </div>
      {points && numericAxes(points).axes.length >= 2 && <ParallelCoords points={points} brush={state.brush} onBrush={onBrush} />}
      <div className="hp-wrap">
        <table className="runs-table hp-table" data-testid="runs-table" data-shown={rows.length} data-matched={page.matched} data-answered={answered}>
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Select</span>
              </th>
              {header('name', 'Run', false)}
              {header('status', 'Status', false)}
              {columns.map((c) => header(c, columnLabel(c), true))}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <RunTableRow key={r.id} meta={r} columns={columns} selected={selected.includes(r.id)} onSelect={onSelect} onSaved={onSaved} />
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
