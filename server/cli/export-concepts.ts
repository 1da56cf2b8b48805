/** The `concepts` part of `layerwatch export --json`: stored concept statistics laid out per layer and per checkpoint step. */
import type { ConceptCell, ConceptStateOf } from '../../lib/protocol';
import { loadConcepts } from '../analysis/concepts-store';

/** Per layer and step (in `steps` order; null where not computed): unique detectors, detectors, and [best concept, IoU] per unit. */
export interface ConceptsExport {
  concepts: Array<{ name: string; category: string }>;
  categories: string[];
  threshold: number;
  quantiles: Record<string, number>;
  uniqueDetectors: Record<string, Array<number | null>>;
  uniqueByCategory: Record<string, Array<number[] | null>>;
  detectors: Record<string, Array<number | null>>;
  units: Record<string, Array<Array<[string | null, number]> | null>>;
  chance: Record<string, { detectors: number; unique: number } | null>;
}

/** Lays a concept state out on the run's checkpoint steps. */
export function conceptsExport(state: ConceptStateOf<ConceptCell>, steps: number[]): ConceptsExport {
  const out: ConceptsExport = {
    concepts: state.concepts,
    categories: state.categories,
    threshold: state.threshold,
    quantiles: {},
    uniqueDetectors: {},
    uniqueByCategory: {},
    detectors: {},
    units: {},
    chance: {},
  };
  state.layers.forEach((layer, l) => {
    const cells = steps.map((s) => {
      const c = state.steps.indexOf(s);
      return c >= 0 ? (state.cells[l][c] ?? null) : null;
    });
    out.quantiles[layer] = state.quantiles[l];
    out.uniqueDetectors[layer] = cells.map((c) => c?.unique ?? null);
    out.uniqueByCategory[layer] = cells.map((c) => c?.uniqueByCategory ?? null);
    out.detectors[layer] = cells.map((c) => c?.detectors ?? null);
    out.units[layer] = cells.map((c) =>
      c ? c.best.map((b, u): [string | null, number] => [b >= 0 ? (state.concepts[b]?.name ?? null) : null, c.iou[u]]) : null,
    );
    out.chance[layer] = state.chance[l];
  });
  return out;
}

/** The export of a run's stored concept statistics, or null when it has none. */
export async function exportConcepts(analysisFile: string, steps: number[]): Promise<ConceptsExport | null> {
  const state = await loadConcepts(analysisFile);
  return state ? conceptsExport(state, steps) : null;
}
