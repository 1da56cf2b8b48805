'use client';
/** A unit's history drawer: best concept, IoU and class selectivity at every checkpoint (opened from the concept raster; the values are fetched with `concept-units`). */
import { useEffect, useMemo } from 'react';
import type { ConceptUnits } from '@/lib/protocol/concepts';
import { conceptColour } from '@/lib/chart/concept-colours';
import { formatStep, formatValue } from '@/lib/chart/scales';
import { LineChart, type LineSeries } from '@/components/charts/line-chart';
import { UnitExamplesGrid } from './unit-examples';
import { columnsFor, useConceptUnits } from './use-concept-units';

export interface UnitHistoryRow {
  step: number;
  best: number;
  iou: number;
  selectivity: number | null;
}

/** The unit's rows at `steps` (checkpoints not computed yet are left out), from an answer that starts at the unit. */
export function unitHistory(steps: readonly number[], data: ConceptUnits | null, unit: number): UnitHistoryRow[] {
  const rows: UnitHistoryRow[] = [];
  if (!data || data.from !== unit) return rows;
  columnsFor(steps, data).forEach((c, i) => {
    const best = c === null ? null : data.best[c],
      iou = c === null ? null : data.iou[c],
      sel = c === null ? null : data.selectivity[c];
    if (best && iou && sel && best.length > 0) rows.push({ step: steps[i], best: best[0], iou: iou[0], selectivity: sel[0] });
  });
  return rows;
}

interface Props {
  layer: string;
  unit: number;
  /** The checkpoints the views show (a replay frame cuts them) and how many of the layer's cells are computed. */
  steps: readonly number[];
  computed: number;
  concepts: ReadonlyArray<{ name: string; category: string }>;
  threshold: number;
  /** The scrubbed checkpoint (null: the newest), for the top-activating examples. */
  step: number | null;
  onClose: () => void;
}

/** Renders the drawer (a non-modal dialog; Escape closes it). */
export function UnitHistory({ layer, unit, steps, computed, concepts, threshold, step, onClose }: Props) {
  const load = useConceptUnits(layer, unit, 1, computed);
  const rows = useMemo(() => unitHistory(steps, load.data, unit), [steps, load.data, unit]);
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
    <aside
      className="panel unit-history"
      role="dialog"
      aria-modal="false"
      aria-labelledby="unit-history-title"
      data-testid="unit-history"
      data-unit={unit}
      data-layer={layer}
      data-state={load.state}
      style={{
        position: 'fixed',
        right: 16,
        top: 80,
        bottom: 16,
        width: 'min(460px, 92vw)',
        overflowY: 'auto',
        zIndex: 20,
        boxShadow: '0 6px 24px rgba(0,0,0,.25)',
      }}
    >
      <header className="panel-head">
        <h2 id="unit-history-title">
          {layer} · unit {unit}
        </h2>
        <button type="button" onClick={onClose} aria-label="Close unit history">
          Close
        </button>
      </header>
      <p className="chart-desc">
        {load.state === 'error' ? `The unit's values could not be loaded: ${load.message}. ` : ''}
        {!load.data ? 'Loading…' : first ? `Detector from step ${formatStep(first.step)} (${concepts[first.best]?.name ?? '?'})` : 'Not a detector so far'}
        {switches ? `; switched concept ${switches} time${switches > 1 ? 's' : ''}` : ''}. Detector: IoU &gt; {threshold}.
      </p>
      <LineChart
        title="IoU and selectivity"
        xLabel="step"
        yLabel="value"
        series={series}
        height={180}
        yDomain={[0, 1]}
        curve="step"
        testId="unit-history-chart"
      />
      <table style={{ width: '100%', fontSize: 'var(--text-xs)', borderCollapse: 'collapse', marginTop: 8 }}>
        <thead>
          <tr>
            <th scope="col" style={{ textAlign: 'left' }}>
              step
            </th>
            <th scope="col" style={{ textAlign: 'left' }}>
              best concept
            </th>
            <th scope="col">IoU</th>
            <th scope="col">selectivity</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.step} data-step={r.step} data-best={r.best} className={r.iou > threshold ? undefined : 'muted'}>
              <td>{formatStep(r.step)}</td>
              <td>
                <span className="swatch" style={{ background: r.best >= 0 ? conceptColour(r.best) : 'transparent', marginRight: 4 }} />
                {r.best >= 0 ? `${concepts[r.best]?.name} (${concepts[r.best]?.category})` : '—'}
              </td>
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
