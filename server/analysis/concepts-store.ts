/** Stored concept statistics of a run: the `{type: 'concepts'}` records of runs/<id>/analysis.lwlog, replayed into a ConceptState. */
import { existsSync } from 'node:fs';
import { applyConceptPatch, type ConceptPatch, type ConceptState } from '../../lib/protocol';
import { readRunLog } from '../storage/run-log-reader';
import { RECORD_KIND } from '../records';

/** Every stored concepts patch of an analysis log, in order. */
export async function* readConceptPatches(file: string): AsyncGenerator<ConceptPatch> {
  if (!existsSync(file)) return;
  const decoder = new TextDecoder();
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.analysis] })) {
    try {
      const parsed = JSON.parse(decoder.decode(rec.payload)) as { type?: string; patch?: ConceptPatch };
      if (parsed?.type === 'concepts' && parsed.patch) yield parsed.patch;
    } catch {
      // A record this version cannot read is skipped; the rest still loads.
    }
  }
}

/** The concept state as stored (null when the run has none). */
export async function loadConcepts(file: string): Promise<ConceptState | null> {
  let state: ConceptState | null = null;
  for await (const patch of readConceptPatches(file)) state = applyConceptPatch(state, patch);
  return state;
}
