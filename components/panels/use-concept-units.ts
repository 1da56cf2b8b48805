'use client';
/**
 * Per-unit concept values of a few units of one layer at every checkpoint, fetched with the `concept-units` request
 * (the snapshot carries per-layer summaries only). Asked again, debounced, whenever the layer gains computed cells.
 */
import { useEffect, useState } from 'react';
import { ConceptUnits as ConceptUnitsSchema, type ConceptUnits } from '@/lib/protocol/concepts';
import { useLayerwatch, useLiveSocket } from '@/store/provider';
import type { RequestError } from '@/store/live-socket';

export type UnitsLoad = { state: 'idle' | 'loading' | 'ready' | 'error'; data: ConceptUnits | null; message?: string };

/** Units [from, from + count) of `layer` (null: nothing to ask); `computed` is how many cells of the layer are computed (a change asks again). */
export function useConceptUnits(layer: string | null, from: number, count: number, computed: number): UnitsLoad {
  const socket = useLiveSocket();
  const runId = useLayerwatch((s) => s.run.id);
  const connected = useLayerwatch((s) => s.connection.status === 'open');
  const [load, setLoad] = useState<UnitsLoad>({ state: 'idle', data: null });

  useEffect(() => {
    if (!runId || !connected || layer === null || computed === 0 || count <= 0) return;
    let cancelled = false;
    setLoad((l) => ({ state: 'loading', data: l.data && l.data.layer === layer && l.data.from === from ? l.data : null }));
    // Debounced: a live run completes a layer's cells one checkpoint at a time.
    const timer = setTimeout(() => {
      socket
        .request('concept-units', runId, { layer, from, count })
        .then((data) => {
          const parsed = ConceptUnitsSchema.safeParse(data);
          if (!parsed.success) throw { code: 'BAD_RESPONSE', message: 'the server answered with unexpected unit values' };
          if (!cancelled) setLoad({ state: 'ready', data: parsed.data });
        })
        .catch((err: unknown) => {
          if (!cancelled) setLoad((l) => ({ state: 'error', data: l.data, message: (err as RequestError).message }));
        });
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [socket, runId, connected, layer, from, count, computed]);
  return load;
}

/** The column of each of `steps` in the answer (null where it has none): the views cut steps to a replay frame, the answer does not. */
export function columnsFor(steps: readonly number[], data: ConceptUnits | null): Array<number | null> {
  if (!data) return steps.map(() => null);
  const at = new Map(data.steps.map((s, c) => [s, c]));
  return steps.map((s) => at.get(s) ?? null);
}
