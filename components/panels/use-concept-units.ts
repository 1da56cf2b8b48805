'use client';
/**
 * Per-unit concept values of a few units of one layer at every checkpoint, fetched with the `concept-units` request
 * (the snapshot carries per-layer summaries only). Asked again, debounced, whenever the layer gains computed cells.
 */
import type { ConceptUnits } from '@/lib/protocol/concepts';
import { useLayerwatch } from '@/store/provider';
import type { RequestLoad } from '@/store/request-load';
import { useLiveRequest } from '@/store/use-live-request';

export type UnitsLoad = Omit<RequestLoad<ConceptUnits>, 'code'>;

/** Units [from, from + count) of `layer` (null: nothing to ask); `computed` is how many cells of the layer are computed (a change asks again). */
export function useConceptUnits(layer: string | null, from: number, count: number, computed: number): UnitsLoad {
  const enabled = layer !== null && computed > 0 && count > 0;
  // Debounced longer than a view's own requests: a live run completes a layer's cells one checkpoint at a time.
  const runId = useLayerwatch((s) => s.run.id);
  const load = useLiveRequest('concept-units', runId, { layer: layer ?? '', from, count }, { refresh: computed, enabled, delayMs: 200 });
  if (!enabled) return { state: 'idle', data: null };
  // The answer for another layer or page is not shown while this one loads.
  const data = load.data && load.data.layer === layer && load.data.from === from ? load.data : null;
  return { state: load.state, data, ...(load.message ? { message: load.message } : {}) };
}

/** The column of each of `steps` in the answer (null where it has none): the views cut steps to a replay frame, the answer does not. */
export function columnsFor(steps: readonly number[], data: ConceptUnits | null): Array<number | null> {
  if (!data) return steps.map(() => null);
  const at = new Map(data.steps.map((s, c) => [s, c]));
  return steps.map((s) => at.get(s) ?? null);
}
