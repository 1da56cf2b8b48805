'use client';
/** Which columns the overview's table shows and in what order: a disclosure with a checkbox per key and move buttons. */
import type { OverviewPage } from '@/lib/protocol';
import { columnLabel } from '@/lib/runs/fields';

const BUILTIN_COLUMNS = ['step', 'checkpoints', 'layers', 'created', 'project', 'tags'];

interface Props {
  keys: OverviewPage['keys'];
  columns: string[];
  onChange: (columns: string[]) => void;
}

/** Renders the chooser; chosen columns first, in table order. */
export function ColumnChooser({ keys, columns, onChange }: Props) {
  const all = [...keys.config, ...keys.scalars, ...keys.layers, ...BUILTIN_COLUMNS];
  const others = all.filter((k) => !columns.includes(k));
  const move = (i: number, by: -1 | 1) => {
    const next = [...columns];
    [next[i], next[i + by]] = [next[i + by], next[i]];
    onChange(next);
  };
  const item = (k: string, i: number | null) => (
    <li key={k} data-col={k}>
      <label className="small">
        <input type="checkbox" checked={i !== null} onChange={(e) => onChange(e.target.checked ? [...columns, k] : columns.filter((c) => c !== k))} />{' '}
        {columnLabel(k)}
      </label>
      {i !== null && (
        <>
          <button type="button" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move ${columnLabel(k)} left`}>
            ↑
          </button>
          <button type="button" disabled={i === columns.length - 1} onClick={() => move(i, 1)} aria-label={`Move ${columnLabel(k)} right`}>
            ↓
          </button>
        </>
      )}
    </li>
  );
  return (
    <details className="columns-chooser" data-testid="column-chooser">
      <summary className="button">Columns ({columns.length})</summary>
      <div>
        <ul aria-label="Shown columns, in order">{columns.map((k, i) => item(k, i))}</ul>
        {others.length > 0 && <ul aria-label="More columns">{others.map((k) => item(k, null))}</ul>}
      </div>
    </details>
  );
}
