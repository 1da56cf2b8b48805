'use client';
/**
 * Concepts panel: emergence (unique detectors per layer by category), the unit × checkpoint concept raster, selectivity
 * bands, class sensitivity at the scrubbed step, and a unit's history. The run's summaries come with the snapshot; the
 * raster's per-unit values are fetched a page of units at a time (`concept-units`).
 */
import { useCallback, useEffect, useMemo, useState } from 'react';
import { MAX_CONCEPT_UNITS, type ConceptState } from '@/lib/protocol/concepts';
import { conceptColour } from '@/lib/chart/concept-colours';
import { ClassSensitivity } from '@/components/charts/class-sensitivity';
import { ConceptRaster, type RasterSource } from '@/components/charts/concept-raster';
import { EmergenceChart, type EmergenceLayer } from '@/components/charts/emergence-chart';
import { SelectivityChart, type SelectivityLayer } from '@/components/charts/selectivity-chart';
import { useLayerwatch, useLayerwatchApi } from '@/store/provider';
import { conceptsSketchNote } from './sketch-note';
import type { LayerwatchState } from '@/store/state';
import { selectConceptLayer } from '@/store/slices/concepts';
import { selectScrubIndex } from '@/store/slices/view';
import { useThrottledSelection } from '@/store/use-throttled';
import { UnitHistory } from './unit-history';
import { columnsFor, useConceptUnits } from './use-concept-units';

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
  const emergence = st.layers.map((name, l) => ({
    name,
    byCategory: st.cells[l].map((c) => (c && c.mode !== 'none' ? [...c.uniqueByCategory] : null)),
    chance: st.chance[l]?.unique ?? null,
  }));
  const selectivity = st.layers.map((name, l) => ({ name, bands: st.cells[l].map((c) => c?.selectivityBands ?? null) }));
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
  const scrubStep = useLayerwatch((s) => (s.view.scrub === null ? null : (s.run.steps[selectScrubIndex(s)] ?? null)));
  // The raster's page of units of the shown layer, fetched again when the layer gains computed cells.
  const runLayers = useLayerwatch((s) => s.run.layers);
  const layerName = useLayerwatch((s) => (layer >= 0 ? (s.concepts.state?.layers[layer] ?? null) : null));
  const total = useLayerwatch((s) => (layer >= 0 ? (s.concepts.state?.units[layer] ?? 0) : 0));
  const computed = useLayerwatch((s) => (layer >= 0 ? (s.concepts.state?.cells[layer]?.filter(Boolean).length ?? 0) : 0));
  const [page, setPage] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: back to the first page when the layer changes
  useEffect(() => setPage(0), [layerName]);
  const from = Math.min(page * MAX_CONCEPT_UNITS, Math.max(0, total - 1));
  const count = Math.min(MAX_CONCEPT_UNITS, total - from);
  const units = useConceptUnits(layerName, from, count, computed);

  const source = useMemo<RasterSource>(
    () => ({
      read: () => {
        const s = store.getState();
        const st = s.concepts.state;
        if (!st || selectConceptLayer(s) < 0) return null;
        // Until this page's values arrive its columns are blank (the columns themselves are the run's checkpoints).
        const data = units.data && units.data.layer === st.layers[selectConceptLayer(s)] && units.data.from === from ? units.data : null;
        const cells = columnsFor(st.steps, data).map((c) => (c === null || !data?.best[c] || !data.iou[c] ? null : { best: data.best[c]!, iou: data.iou[c]! }));
        return { units: count, firstUnit: from, steps: st.steps, cells, threshold: st.threshold, concepts: st.concepts };
      },
      subscribe: (onChange) => store.subscribe((n, p) => (changed(n, p) || n.concepts.layer !== p.concepts.layer) && onChange()),
    }),
    [store, units.data, from, count],
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
  const pages = Math.ceil(total / MAX_CONCEPT_UNITS);

  return (
    <section className="panel concepts-panel" aria-labelledby="concepts-title" data-testid="concepts-panel">
      <header className="panel-head">
        <h2 id="concepts-title">Concepts</h2>
        <span className="muted" style={{ fontSize: 'var(--text-xs)' }}>
          {st.concepts.length} concepts · detector IoU &gt; {st.threshold} · top quantile {[...new Set(st.quantiles)].join(' / ')}
        </span>
      </header>
      {conceptsSketchNote(runLayers) && (
        <p className="chart-desc" data-testid="concepts-sketch-note">
          {conceptsSketchNote(runLayers)}
        </p>
      )}
      {view.withConcepts && (
        <>
          <h3 className="chart-title">Unique detectors over training</h3>
          <EmergenceChart steps={st.steps} categories={st.categories} layers={view.emergence} concepts={st.concepts.length} marker={scrubStep} />
          <div className="panel-head" style={{ marginTop: 12 }}>
            <h3 className="chart-title">Best concept per unit</h3>
            <label>
              Layer{' '}
              <select value={layer} onChange={(e) => setLayer(Number(e.target.value))} data-testid="concept-layer">
                {st.layers.map((name, l) => (
                  <option key={name} value={l}>
                    {name}
                  </option>
                ))}
              </select>
            </label>
          </div>
          <ul className="legend" aria-label="concepts">
            {st.concepts.map((c, i) => (
              <li key={c.name}>
                <span className="swatch" style={{ background: conceptColour(i) }} />
                {c.name}
              </li>
            ))}
          </ul>
          {pages > 1 && (
            <div className="panel-head" data-testid="concept-units-pager">
              <span className="muted">
                units {from}–{from + count - 1} of {total}
              </span>
              <span>
                <button type="button" onClick={() => setPage((p) => Math.max(0, p - 1))} disabled={page === 0} aria-label="Previous units">
                  ‹
                </button>{' '}
                <button type="button" onClick={() => setPage((p) => Math.min(pages - 1, p + 1))} disabled={page >= pages - 1} aria-label="Next units">
                  ›
                </button>
              </span>
            </div>
          )}
          <ConceptRaster
            source={source}
            height={Math.min(420, Math.max(160, 3 * count + 40))}
            onSelectUnit={onSelectUnit}
            markerColumn={markerCol !== null && markerCol >= 0 ? markerCol : null}
          />
          <p className="chart-desc">
            Blank: not a detector. Click a unit to open its history.{units.state === 'error' ? ` Unit values could not be loaded: ${units.message}` : ''}
          </p>
        </>
      )}
      {st.classNames.length > 0 && (
        <>
          <h3 className="chart-title">Class selectivity</h3>
          <SelectivityChart steps={st.steps} layers={view.selectivity} marker={scrubStep} />
          <h3 className="chart-title">Class sensitivity</h3>
          <ClassSensitivity
            layers={st.layers}
            classNames={st.classNames}
            values={st.layers.map((_, l) => st.cells[l][col]?.sensitivity ?? null)}
            k={st.layers.map((_, l) => st.cells[l][col]?.k ?? null)}
            examples={st.examples}
            step={sensStep}
          />
        </>
      )}
      {unit && unit.l < st.layers.length && (
        <UnitHistory
          layer={st.layers[unit.l]}
          unit={unit.u}
          steps={st.steps}
          computed={st.cells[unit.l].filter(Boolean).length}
          concepts={st.concepts}
          threshold={st.threshold}
          step={scrubStep}
          onClose={closeUnit}
        />
      )}
    </section>
  );
}
