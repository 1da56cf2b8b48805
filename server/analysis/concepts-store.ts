/**
 * Stored concept statistics of a run (runs/<id>/analysis.lwlog): `{type: 'concepts', patch}` records of per-layer
 * summaries, and binary records of per-unit values (concept-units.ts). Views load the summaries and an index of where
 * each cell's unit values are; export loads whole cells. Older logs stored whole cells inside the patches: they are
 * summarised on load and their unit values read from the patch.
 */
import { existsSync } from 'node:fs';
import { selectivityBands } from '../../lib/analysis/concepts';
import {
  applyConceptPatch,
  summaryOf,
  type ConceptCell,
  type ConceptPatchOf,
  type ConceptState,
  type ConceptStateOf,
  type ConceptSummary,
} from '../../lib/protocol';
import { readRunLog } from '../storage/run-log-reader';
import { RECORD_KIND } from '../runs/records';
import { recordType } from './analysis-store';
import { readUnitSlices, unitsRecordKey, type UnitsRef } from './concept-units';

/** Key of a cell in a units index. */
export const cellKey = (l: number, step: number) => `${l}@${step}`;

/** The summaries as stored, and where each cell's unit values are. */
export interface StoredConcepts {
  state: ConceptState | null;
  units: Map<string, UnitsRef>;
}

/** A stored cell as a summary: new records are summaries already; an older whole cell gets its selectivity bands here. */
function asSummary(cell: ConceptSummary | ConceptCell): ConceptSummary {
  if (!('best' in cell)) return cell;
  const summary = summaryOf(cell);
  return { ...summary, selectivityBands: summary.selectivityBands ?? selectivityBands(cell.selectivity) };
}

/** Reads the summaries and the unit-values index of an analysis log (unit records are not decoded, patches with whole cells are summarised). */
export async function loadConceptSummaries(file: string): Promise<StoredConcepts> {
  const out: StoredConcepts = { state: null, units: new Map() };
  if (!existsSync(file)) return out;
  const decoder = new TextDecoder();
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.analysis] })) {
    const key = unitsRecordKey(rec.payload);
    if (key) {
      out.units.set(cellKey(key.l, key.step), { offset: rec.offset, format: 'units', step: key.step });
      continue;
    }
    if (recordType(rec.payload) !== 'concepts') continue;
    try {
      const { patch } = JSON.parse(decoder.decode(rec.payload)) as { patch: ConceptPatchOf<ConceptSummary | ConceptCell> };
      for (const c of patch.cells ?? []) if ('best' in c) out.units.set(cellKey(c.l, c.step), { offset: rec.offset, format: 'patch', step: c.step });
      out.state = applyConceptPatch(out.state, { ...patch, ...(patch.cells ? { cells: patch.cells.map(asSummary) } : {}) });
    } catch {
      // A record this version cannot read is skipped; the rest still loads.
    }
  }
  return out;
}

/** The concept state with whole cells (summaries and every unit's values), or null when the run has none; for export. */
export async function loadConcepts(file: string): Promise<ConceptStateOf<ConceptCell> | null> {
  const { state, units } = await loadConceptSummaries(file);
  if (!state) return null;
  const cells = await Promise.all(
    state.layers.map(async (_, l) => {
      const n = state.units[l];
      const refs = state.steps.map((step) => units.get(cellKey(l, step)) ?? null);
      const values = await readUnitSlices(file, refs, { l, units: n, from: 0, count: n, concepts: state.concepts.length });
      return state.cells[l].map((c, col): ConceptCell | null => (c && values[col] ? { ...c, ...values[col] } : null));
    }),
  );
  return { ...state, cells };
}
