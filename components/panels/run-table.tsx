'use client';
/**
 * The overview's table mode: one row per run, one column per chosen key (config keys as given, the last value of
 * scalars, each layer's settle step), sorted on the server by a header click; above it, a parallel-coordinates chart
 * of the numeric config columns against a chosen scalar, whose brushes select runs (they become query terms).
 */
import { useCallback, useDeferredValue, useEffect, useMemo } from 'react';
import Link from 'next/link';
import type { OverviewPage, RunMeta } from '@/lib/protocol';
import { columnLabel, runFields, type FieldValue } from '@/lib/runs/fields';
import { formatValue } from '@/lib/chart/scales';
import { useLayerwatchApi } from '@/store/provider';
import { defaultColumns, type Brush, type OverviewState } from '@/store/overview-url';
import { numericAxes, ParallelCoords } from '@/components/charts/parallel-coords';
import { ColumnChooser } from './column-chooser';
import { StatusBadge } from './status-badge';
import { TagEditor } from './tag-editor';

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

/** A cell as read: config values exactly as given, scalars to four significant digits (full value on hover), steps whole. */
function cell(key: string, v: FieldValue | undefined, run: RunMeta): string {
  if (v === undefined) return key.startsWith('l:') && run.settle?.some((s) => s.layer === key.slice(2)) ? 'not settled' : '–';
  if (typeof v !== 'number') return String(v);
  return key.startsWith('s:') ? formatValue(v) : String(v);
}

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
  const fields = useMemo(() => new Map(rows.map((r) => [r.id, runFields(r)])), [rows]);
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
            {rows.map((r) => {
              const f = fields.get(r.id)!;
              return (
                <tr key={r.id} data-testid="hp-row" data-run={r.id} className={selected.includes(r.id) ? 'selected' : undefined}>
                  <td className="check">
                    <input
                      type="checkbox"
                      checked={selected.includes(r.id)}
                      onChange={(e) => onSelect(r.id, e.target.checked)}
                      aria-label={`Select ${r.name} to compare`}
                    />
                  </td>
                  <td>
                    <Link href={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
                      {r.name}
                    </Link>
                    <TagEditor meta={r} compact onSaved={(meta) => store.getState().applyRunsDelta({ kind: 'run', meta })} />
                  </td>
                  <td>
                    <StatusBadge status={r.status} />
                  </td>
                  {columns.map((c) => {
                    const v = f.get(c);
                    return (
                      <td key={c} className="num" data-col={c} title={typeof v === 'number' ? String(v) : undefined}>
                        {cell(c, v, r)}
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </div>
  );
}
