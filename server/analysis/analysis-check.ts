/**
 * The stored analysis an imported log carries is untrusted input like the rest of the file: every record must be a
 * well-formed convergence or concepts record, and must describe this log (its checkpoints, in order, and its layers).
 */
import { z } from 'zod';
import { ConceptPatch, ConceptSummary, ConvergencePatch, decodeFrame } from '../../lib/protocol';
import { readRunLog } from '../storage/run-log-reader';
import { StorageError } from '../storage/storage-error';
import { RECORD_KIND } from '../runs/records';
import { unitsRecordKey } from './concept-units';

/** Largest analysis record accepted (a live record is a few KB; a re-analysis of 5,000 checkpoints well under 1 MB). */
export const MAX_ANALYSIS_RECORD = 16 << 20;
/** Most convergence grids (live metrics plus re-analyses) a run's analysis may hold. */
export const MAX_ANALYSIS_GRIDS = 64;

const Convergence = z.object({ type: z.literal('convergence'), reference: z.number().nullable(), patch: ConvergencePatch });
// Older analysis logs stored whole cells (per-unit arrays, no selectivity bands) inside their concepts patches.
const StoredConceptCell = ConceptSummary.extend({ selectivityBands: ConceptSummary.shape.selectivityBands.optional() });
const Concepts = z.object({ type: z.literal('concepts'), patch: ConceptPatch.extend({ cells: z.array(StoredConceptCell).optional() }) });
const Typed = z.object({ type: z.string() });

/** The checkpoint steps (in order), the number of layers a log declares and their units. */
async function logShape(logFile: string): Promise<{ steps: number[]; layers: number; units: number[] }> {
  const steps: number[] = [];
  let layers = 0;
  let units: number[] = [];
  const decoder = new TextDecoder();
  for await (const rec of readRunLog(logFile, { kinds: [RECORD_KIND.message] })) {
    let msg: { type?: unknown; step?: unknown; layers?: unknown };
    try {
      msg = JSON.parse(decoder.decode(rec.payload)) as typeof msg;
    } catch {
      continue;
    }
    if (msg?.type === 'checkpoint' && typeof msg.step === 'number') steps.push(msg.step);
    else if (msg?.type === 'layers' && Array.isArray(msg.layers)) {
      layers = msg.layers.length;
      units = msg.layers.map((l: { units?: unknown }) => (typeof l?.units === 'number' ? l.units : -1));
    }
  }
  return { steps, layers, units };
}

function bad(offset: number, why: string): StorageError {
  return new StorageError('BAD_ANALYSIS', `The log's stored analysis is not valid (record at byte ${offset}): ${why}.`, { details: { offset } });
}

/** Throws BAD_ANALYSIS unless every analysis record is well formed and consistent with the log. */
export async function checkStoredAnalysis(analysisFile: string, logFile: string): Promise<void> {
  const { steps, layers, units } = await logShape(logFile);
  const stepSet = new Set(steps);
  const columns = new Map<string, number>();
  let conceptLayers = -1;
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const rec of readRunLog(analysisFile, { kinds: [RECORD_KIND.analysis], strict: true })) {
    if (rec.payload.length > MAX_ANALYSIS_RECORD) throw bad(rec.offset, `${rec.payload.length} bytes is over the ${MAX_ANALYSIS_RECORD}-byte limit`);
    // A binary record of one layer's per-unit concept values at one checkpoint (concept-units.ts).
    const unitsKey = unitsRecordKey(rec.payload);
    if (unitsKey) {
      if (unitsKey.l >= layers || !stepSet.has(unitsKey.step))
        throw bad(rec.offset, `per-unit concept values of layer ${unitsKey.l} at step ${unitsKey.step}: not a layer and checkpoint of the log`);
      let shape: number[];
      try {
        shape = decodeFrame(rec.payload).header.shape;
      } catch {
        throw bad(rec.offset, 'per-unit concept values that do not decode');
      }
      if (shape.length !== 2 || shape[0] !== 3 || shape[1] !== units[unitsKey.l])
        throw bad(rec.offset, `per-unit concept values of shape [${shape.join(', ')}] for a layer of ${units[unitsKey.l]} units`);
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(decoder.decode(rec.payload));
    } catch {
      throw bad(rec.offset, 'not JSON');
    }
    const typed = Typed.safeParse(json);
    if (!typed.success) throw bad(rec.offset, 'not an object with a "type"');
    if (typed.data.type === 'convergence') {
      const parsed = Convergence.safeParse(json);
      if (!parsed.success) throw bad(rec.offset, `convergence: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      const { patch } = parsed.data;
      const key = patch.key ?? patch.metric;
      let n = columns.get(key) ?? 0;
      if (!columns.has(key) && columns.size >= MAX_ANALYSIS_GRIDS) throw bad(rec.offset, `more than ${MAX_ANALYSIS_GRIDS} grids`);
      for (const step of patch.addSteps ?? []) {
        if (steps[n] !== step) throw bad(rec.offset, `grid ${key} adds step ${step} where the log's checkpoint ${n} is ${steps[n] ?? 'missing'}`);
        n++;
      }
      columns.set(key, n);
      if (patch.reference != null && !stepSet.has(patch.reference)) throw bad(rec.offset, `reference ${patch.reference} is not a checkpoint of the log`);
      const cell = patch.cells.find((c) => c.l >= layers || c.c >= n);
      if (cell) throw bad(rec.offset, `a cell (layer ${cell.l}, column ${cell.c}) is outside the log's ${layers} layers × ${n} checkpoints`);
      if (patch.chance && patch.chance.length > layers) throw bad(rec.offset, 'more chance baselines than layers');
    } else if (typed.data.type === 'concepts') {
      const parsed = Concepts.safeParse(json);
      if (!parsed.success) throw bad(rec.offset, `concepts: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
      const { patch } = parsed.data;
      if (patch.meta) {
        if (patch.meta.layers.length > layers) throw bad(rec.offset, `concepts name ${patch.meta.layers.length} layers; the log has ${layers}`);
        conceptLayers = patch.meta.layers.length;
      }
      const cell = patch.cells?.find((c) => c.l >= conceptLayers || !stepSet.has(c.step));
      if (cell) throw bad(rec.offset, `a concepts cell (layer ${cell.l}, step ${cell.step}) is not a layer and checkpoint of the log`);
      if (patch.chance?.some((c) => c.l >= conceptLayers)) throw bad(rec.offset, 'a concepts chance baseline names no layer');
    }
    // Other types: a newer server's records, skipped by every reader of this version.
  }
}
