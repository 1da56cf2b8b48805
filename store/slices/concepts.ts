/**
 * Concepts slice: the run's concept statistics (detectors, IoU, selectivity, class sensitivity per layer and step),
 * patched in place by deltas like the convergence grids; `version` increases on every change, views read through `getState()`.
 * Also what the concepts panel looks at: the layer shown in the raster and the unit whose history is open.
 */
import type { StateCreator } from 'zustand/vanilla';
import { applyConceptPatch, type ConceptPatch, type ConceptState } from '@/lib/protocol/concepts';
import type { LayerwatchState } from '../state';

export interface ConceptsStore {
  state: ConceptState | null;
  version: number;
  /** Layer index shown by the raster (null: the deepest layer with concept data). */
  layer: number | null;
  /** The unit whose history drawer is open. */
  unit: { l: number; u: number } | null;
}

export interface ConceptsSlice {
  concepts: ConceptsStore;
  setConceptsState(state: ConceptState | undefined): void;
  patchConcepts(patch: ConceptPatch): void;
  setConceptLayer(l: number | null): void;
  openConceptUnit(unit: { l: number; u: number } | null): void;
}

const EMPTY: ConceptsStore = { state: null, version: 0, layer: null, unit: null };

/** Creates the concepts slice. */
export const createConceptsSlice: StateCreator<LayerwatchState, [], [], ConceptsSlice> = (set, get) => ({
  concepts: EMPTY,
  // A snapshot (first, or after a reconnect) keeps what the user looks at; clearing (another run) resets it.
  setConceptsState: (state) =>
    set((s) => ({
      concepts: state
        ? { ...s.concepts, state: structuredClone(state) as ConceptState, version: s.concepts.version + 1 }
        : { ...EMPTY, version: s.concepts.version + 1 },
    })),
  patchConcepts: (patch) => {
    const s = get().concepts;
    const state = applyConceptPatch(s.state, patch);
    set({ concepts: { ...s, state, version: s.version + 1 } });
  },
  setConceptLayer: (layer) => set((s) => ({ concepts: { ...s.concepts, layer } })),
  openConceptUnit: (unit) => set((s) => ({ concepts: { ...s.concepts, unit } })),
});

/** The layer index the raster shows: the chosen one, else the deepest non-logits layer. */
export function selectConceptLayer(s: LayerwatchState): number {
  const st = s.concepts.state;
  if (!st || st.layers.length === 0) return -1;
  if (s.concepts.layer !== null && s.concepts.layer < st.layers.length) return s.concepts.layer;
  const kinds = s.run.layers;
  for (let l = st.layers.length - 1; l >= 0; l--) if (kinds.find((k) => k.name === st.layers[l])?.kind !== 'logits') return l;
  return st.layers.length - 1;
}
