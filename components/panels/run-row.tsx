'use client';
/** One row of the run list: select box, status (live runs pulse), name, progress, sparkline of the main scalar and a convergence thumbnail, loaded when the row scrolls into view. */
import { memo, useEffect, useRef, useState } from 'react';
import Link from 'next/link';
import type { RunMeta } from '@/lib/protocol/live';
import { ConvergenceThumb } from '@/components/charts/convergence-thumb';
import { Sparkline } from '@/components/charts/sparkline';
import { formatDuration, formatStep, formatValue } from '@/lib/chart/scales';
import { useLayerwatchApi, useRowExtras } from '@/store/provider';
import { TagEditor } from './tag-editor';
import type { RowExtras, Spark } from '@/store/slices/runs';
import { configTerms } from '@/store/run-filter';
import { StatusBadge } from './status-badge';

interface Props {
  meta: RunMeta;
  spark: Spark | undefined;
  extras: RowExtras | undefined;
  seenAt: number | undefined;
  now: number;
  selected: boolean;
  onSelect: (id: string, on: boolean) => void;
}

// One formatter each, made once: toLocale*String builds a new one per call, ~0.1 ms each, three per row.
const TIME = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });
const DAY = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const FULL = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });

/** A start time as "14:05" today, "Nov 26, 14:05" this year, else "2025-11-26". */
export function formatWhen(ms: number, now: number): string {
  const d = new Date(ms);
  const n = new Date(now);
  const time = TIME.format(d);
  if (d.toDateString() === n.toDateString()) return time;
  if (d.getFullYear() === n.getFullYear()) return `${DAY.format(d)}, ${time}`;
  return d.toISOString().slice(0, 10);
}

/** Renders the row (memoised: a delta for one run re-renders one row). */
export const RunRow = memo(function RunRow({ meta: r, spark, extras, seenAt, now, selected, onSelect }: Props) {
  const loader = useRowExtras();
  const store = useLayerwatchApi();
  const saved = (meta: RunMeta) => store.getState().applyRunsDelta({ kind: 'run', meta });
  const ref = useRef<HTMLTableRowElement | null>(null);
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const io = new IntersectionObserver((entries) => setVisible(entries.some((e) => e.isIntersecting)), { rootMargin: '200px 0px' });
    io.observe(el);
    return () => io.disconnect();
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: r.checkpoints: the row's extras are fetched again when the run gains a checkpoint
  useEffect(() => {
    if (visible) loader.want(r.id);
  }, [visible, loader, r.id, r.checkpoints]);
  const name = r.lastScalar?.name ?? 'loss';
  const config = configTerms(r.config).slice(0, 4).join(' · ');
  const live = r.status === 'live';
  return (
    <tr ref={ref} data-testid="run-row" data-run={r.id} data-status={r.status} data-name={r.name} className={selected ? 'selected' : undefined}>
      <td className="check">
        <input type="checkbox" checked={selected} onChange={(e) => onSelect(r.id, e.target.checked)} aria-label={`Select ${r.name} to compare`} />
      </td>
      <td>
        <StatusBadge status={r.status} />
      </td>
      <td>
        <Link href={`/runs/${encodeURIComponent(r.id)}`} className="run-link">
          {r.name}
        </Link>
        <div className="muted small run-sub" title={configTerms(r.config).join('\n') || undefined}>
          {r.project ? `${r.project} · ` : ''}
          {r.id}
          {config ? ` · ${config}` : ''}
        </div>
        <TagEditor meta={r} compact onSaved={saved} />
      </td>
      <td className="num">
        {r.lastStep === null ? '–' : formatStep(r.lastStep)}
        {live && seenAt !== undefined && (
          <div className="fresh" title="Time since this page last heard from the run">
            {now - seenAt < 1500 ? 'just now' : `${formatDuration(now - seenAt)} ago`}
          </div>
        )}
      </td>
      <td className="num">{r.checkpoints}</td>
      <td>
        <div className="spark-cell">
          <Sparkline xs={spark?.steps ?? []} ys={spark?.values ?? []} label={`${name} of ${r.name}`} width={110} />
          <span className="small">
            <span className="muted">{name}</span> {formatValue(r.lastScalar?.value)}
          </span>
        </div>
      </td>
      <td className="thumb-cell">
        <ConvergenceThumb thumb={extras?.thumb ?? null} label={r.name} />
      </td>
      <td className="small" title={FULL.format(r.createdAt)}>
        {formatWhen(r.createdAt, now)}
      </td>
      <td>
        <a className="small" href={`/api/runs/${encodeURIComponent(r.id)}/log`} download aria-label={`log of ${r.id} (download)`}>
          log
        </a>
      </td>
    </tr>
  );
});
