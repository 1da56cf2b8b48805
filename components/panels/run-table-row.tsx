'use client';
/** One row of the overview's table mode: select box, name with tags, status, and one cell per chosen column. */
import { memo, useMemo } from 'react';
import Link from 'next/link';
import type { RunMeta } from '@/lib/protocol';
import { runFields, type FieldValue } from '@/lib/runs/fields';
import { formatValue } from '@/lib/chart/scales';
import { StatusBadge } from './status-badge';
import { TagEditor } from './tag-editor';

interface Props {
  meta: RunMeta;
  columns: string[];
  selected: boolean;
  onSelect: (id: string, on: boolean) => void;
  onSaved: (meta: RunMeta) => void;
}

/** A cell as read: config values exactly as given, scalars to four significant digits (full value on hover), steps whole. */
function cell(key: string, v: FieldValue | undefined, run: RunMeta): string {
  if (v === undefined) return key.startsWith('l:') && run.settle?.some((s) => s.layer === key.slice(2)) ? 'not settled' : '–';
  if (typeof v !== 'number') return String(v);
  return key.startsWith('s:') ? formatValue(v) : String(v);
}

/** Renders the row (memoised: a refetched page renders only the runs that changed). */
export const RunTableRow = memo(function RunTableRow({ meta: r, columns, selected, onSelect, onSaved }: Props) {
  const fields = useMemo(() => runFields(r), [r]);
  return (
    <tr data-testid="hp-row" data-run={r.id} className={selected ? 'selected' : undefined}>
      <td className="check">
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(r.id, e.target.checked)} aria-label={`Select ${r.name} to compare`} />
      </td>
      <td>
        <Link href={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
          {r.name}
        </Link>
        <TagEditor meta={r} compact onSaved={onSaved} />
      </td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      {columns.map((c) => {
        const v = fields.get(c);
        return (
          <td key={c} className="num" data-col={c} title={typeof v === 'number' ? String(v) : undefined}>
            {cell(c, v, r)}
          </td>
        );
      })}
    </tr>
  );
});
