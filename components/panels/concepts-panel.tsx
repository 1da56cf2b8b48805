'use client';
/** Concepts panel: emergence (unique detectors per layer by category), the unit × checkpoint concept raster, selectivity bands, class sensitivity at the scrubbed step, and a unit's history. */
import { useCallback, useMemo } from 'react';
import type { ConceptState } from '@/lib/protocol/concepts';
import { conceptColour, quantiles } from '@/lib/chart/concept-colours';
import { ClassSensitivity } from '@/components/charts/class-sensitivity';
import { ConceptRaster, type RasterSource } from '@/components/charts/concept-raster';
import { EmergenceChart, type EmergenceLayer } from '@/components/charts/emergence-chart';
import { SelectivityChart, type SelectivityLayer } from '@/components/charts/selectivity-chart';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import type { LayerwatchState } from '@/store/state';
import { selectConceptLayer } from '@/store/slices/concepts';
import { selectScrubIndex } from '@/store/slices/view';
import { useThrottledSelection } from '@/store/use-throttled';
import { UnitHistory, unitHistory } from './unit-history';

const BANDS = [0.1, 0.25, 0.5, 0.75, 0.9];
/** Cells never change once computed, so their selectivity quantiles are computed once. */
const bandCache = new WeakMap<object, number[] | null>();
function bandsOf(cell: { selectivity: ReadonlyArray<number | null> }): number[] | null {
  let b = bandCache.get(cell);
  if (b === undefined) bandCache.set(cell, (b = quantiles(cell.selectivity, BANDS)));
  return b;
}

/** What the SVG charts draw, copied from the (mutable) store state at most a few times a second. */
interface ConceptsView {
  state: ConceptState;
  emergence: EmergenceLayer[];
  selectivity: SelectivityLayer[];
  withConcepts: boolean;
}

function selectView(s: LayerwatchState): ConceptsView | null {
  const st = s.concepts.state;
  if (!st) return null;
  const emergence = st.layers.map((name, l) => ({ name, byCategory: st.cells[l].map((c) => (c && c.mode !== 'none' ? [...c.uniqueByCategory] : null)), chance: st.chance[l]?.unique ?? null }));
  const selectivity = st.layers.map((name, l) => ({ name, bands: st.cells[l].map((c) => (c ? bandsOf(c) : null)) }));
  const withConcepts = st.concepts.length > 0;
  return { state: { ...st, steps: [...st.steps], cells: st.cells.map((r) => r.slice()) }, emergence, selectivity, withConcepts };
}
const changed = (n: LayerwatchState, p: LayerwatchState) => n.concepts.version !== p.concepts.version;

/** Renders the panel (nothing until the run has concept statistics). */
export function ConceptsPanel() {
  const store = useLayerwatchApi();
  const view = useThrottledSelection(selectView, changed, 300);
  const layer = useLayerwatch(selectConceptLayer);
  const unit = useLayerwatch((s) => s.concepts.unit);
  const setLayer = useLayerwatch((s) => s.setConceptLayer);
  const openUnit = useLayerwatch((s) => s.openConceptUnit);
  const scrubStep = useLayerwatch((s) => (s.view.scrub === null ? null : s.run.steps[selectScrubIndex(s)] ?? null));

  const source = useMemo<RasterSource>(
    () => ({
      read: () => {
        const s = store.getState();
        const st = s.concepts.state;
        const l = selectConceptLayer(s);
        if (!st || l < 0) return null;
        return { units: st.units[l], steps: st.steps, cells: st.cells[l], threshold: st.threshold, concepts: st.concepts };
      },
      subscribe: (onChange) => store.subscribe((n, p) => (changed(n, p) || n.concepts.layer !== p.concepts.layer) && onChange()),
    }),
    [store],
  );
  const onSelectUnit = useCallback((u: number) => openUnit({ l: selectConceptLayer(store.getState()), u }), [store, openUnit]);
  const closeUnit = useCallback(() => openUnit(null), [openUnit]);

  if (!view) return null;
  const st = view.state;
  // Class sensitivity follows the scrubber: the newest computed column at or before the scrubbed step.
  let col = st.steps.length - 1;
  if (scrubStep !== null) while (col > 0 && st.steps[col] > scrubStep) col--;
  const sensStep = col >= 0 ? st.steps[col] : null;
  const markerCol = scrubStep === null ? null : st.steps.indexOf(scrubStep);
  const history = unit ? unitHistory(st, unit.l, unit.u) : null;

  return (
    <section className="panel concepts-panel" aria-labelledby="concepts-title" data-testid="concepts-panel">
      <header className="panel-head">
        <h2 id="concepts-title">Concepts</h2>
        <span className="muted" style={{ fontSize: 'var(--text-xs)' }}>
          {st.concepts.length} concepts · detector IoU &gt; {st.threshold} · top quantile {[...new Set(st.quantiles)].join(' / ')}
        </span>
      </header>
      {view.withConcepts && (
        <>
          <h3 className="chart-title">Unique detectors over training</h3>
          <EmergenceChart steps={st.steps} categories={st.categories} layers={view.emergence} concepts={st.concepts.length} marker={scrubStep} />
          <div className="panel-head" style={{ marginTop: 12 }}>
            <h3 className="chart-title">Best concept per unit</h3>
            <label>
              Layer{' '}
              <select value={layer} onChange={(e) => setLayer(Number(e.target.value))} data-testid="concept-layer">
                {st.layers.map((name, l) => <option key={name} value={l}>{name}</option>)}
              </select>
            </label>
          </div>
          <ul className="legend" aria-label="concepts">
            {st.concepts.map((c, i) => <li key={c.name}><span className="swatch" style={{ background: conceptColour(i) }} />{c.name}</li>)}
          </ul>
          <ConceptRaster source={source} height={Math.min(420, Math.max(160, 3 * (st.units[layer] ?? 0) + 40))} onSelectUnit={onSelectUnit} markerColumn={markerCol !== null && markerCol >= 0 ? markerCol : null} />
          <p className="chart-desc">Blank: not a detector. Click a unit to open its history.</p>
        </>
      )}
      {st.classNames.length > 0 && (
        <>
          <h3 className="chart-title">Class selectivity</h3>
          <SelectivityChart steps={st.steps} layers={view.selectivity} marker={scrubStep} />
          <h3 className="chart-title">Class sensitivity</h3>
          <ClassSensitivity layers={st.layers} classNames={st.classNames} values={st.layers.map((_, l) => st.cells[l][col]?.sensitivity ?? null)} k={st.layers.map((_, l) => st.cells[l][col]?.k ?? null)} examples={st.examples} step={sensStep} />
        </>
      )}
      {unit && history && <UnitHistory layer={st.layers[unit.l]} unit={unit.u} rows={history} concepts={st.concepts} threshold={st.threshold} step={scrubStep} onClose={closeUnit} />}
    </section>
  );
}
