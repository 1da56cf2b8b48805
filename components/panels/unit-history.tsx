'use client';
/** A unit's history drawer: best concept, IoU and class selectivity at every checkpoint (opened from the concept raster). */
import { useEffect, useMemo } from 'react';
import type { ConceptState } from '@/lib/protocol/concepts';
import { conceptColour } from '@/lib/chart/concept-colours';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { LineChart, type LineSeries } from '@/components/charts/line-chart';
import { UnitExamplesGrid } from './unit-examples';

export interface UnitHistoryRow {
  step: number;
  best: number;
  iou: number;
  selectivity: number | null;
}

/** The unit's rows, in step order (checkpoints not computed yet are left out). */
export function unitHistory(state: ConceptState, l: number, u: number): UnitHistoryRow[] {
  const rows: UnitHistoryRow[] = [];
  state.steps.forEach((step, c) => {
    const cell = state.cells[l]?.[c];
    if (cell && u < cell.best.length) rows.push({ step, best: cell.best[u], iou: cell.iou[u], selectivity: cell.selectivity[u] });
  });
  return rows;
}

interface Props {
  layer: string;
  unit: number;
  rows: UnitHistoryRow[];
  concepts: ReadonlyArray<{ name: string; category: string }>;
  threshold: number;
  /** The scrubbed checkpoint (null: the newest), for the top-activating examples. */
  step: number | null;
  onClose: () => void;
}

/** Renders the drawer (a non-modal dialog; Escape closes it). */
export function UnitHistory({ layer, unit, rows, concepts, threshold, step, onClose }: Props) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose]);
  const series = useMemo<LineSeries[]>(() => {
    const xs = Float64Array.from(rows, (r) => r.step);
    return [
      { id: 'iou', label: 'best IoU', colour: '#0072B2', xs, ys: Float64Array.from(rows, (r) => r.iou), length: rows.length },
      { id: 'sel', label: 'class selectivity', colour: '#D55E00', xs, ys: Float64Array.from(rows, (r) => r.selectivity ?? NaN), length: rows.length },
    ];
  }, [rows]);
  const switches = rows.filter((r, i) => i > 0 && r.iou > threshold && rows[i - 1].iou > threshold && r.best !== rows[i - 1].best).length;
  const first = rows.find((r) => r.iou > threshold);
  return (
    <aside className="panel unit-history" role="dialog" aria-modal="false" aria-labelledby="unit-history-title" data-testid="unit-history" data-unit={unit} data-layer={layer}
      style={{ position: 'fixed', right: 16, top: 80, bottom: 16, width: 'min(460px, 92vw)', overflowY: 'auto', zIndex: 20, boxShadow: '0 6px 24px rgba(0,0,0,.25)' }}>
      <header className="panel-head">
        <h2 id="unit-history-title">{layer} · unit {unit}</h2>
        <button type="button" onClick={onClose} aria-label="Close unit history">Close</button>
      </header>
      <p className="chart-desc">
        {first ? `Detector from step ${formatStep(first.step)} (${concepts[first.best]?.name ?? '?'})` : 'Not a detector so far'}
        {switches ? `; switched concept ${switches} time${switches > 1 ? 's' : ''}` : ''}. Detector: IoU &gt; {threshold}.
      </p>
      <LineChart title="IoU and selectivity" xLabel="step" yLabel="value" series={series} height={180} yDomain={[0, 1]} curve="step" testId="unit-history-chart" />
      <table style={{ width: '100%', fontSize: 'var(--text-xs)', borderCollapse: 'collapse', marginTop: 8 }}>
        <thead><tr><th scope="col" style={{ textAlign: 'left' }}>step</th><th scope="col" style={{ textAlign: 'left' }}>best concept</th><th scope="col">IoU</th><th scope="col">selectivity</th></tr></thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.step} data-step={r.step} data-best={r.best} className={r.iou > threshold ? undefined : 'muted'}>
              <td>{formatStep(r.step)}</td>
              <td><span className="swatch" style={{ background: r.best >= 0 ? conceptColour(r.best) : 'transparent', marginRight: 4 }} />{r.best >= 0 ? `${concepts[r.best]?.name} (${concepts[r.best]?.category})` : '—'}</td>
              <td style={{ textAlign: 'right' }}>{formatValue(r.iou)}</td>
              <td style={{ textAlign: 'right' }}>{formatValue(r.selectivity)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <UnitExamplesGrid layer={layer} unit={unit} step={step} />
    </aside>
  );
}
