/**
 * Concept statistics on /live (snapshot `analysis.concepts` and `{kind: 'concepts', patch}` deltas: per-layer summaries;
 * per-unit values through the `concept-units` request), and the wire form of concept masks on /ingest. Cells are keyed
 * by step, not column, so patches apply in any order and after a resume.
 */
import { z } from 'zod';
import { ConceptDecl } from './ingest';

/** Layer name of a masks frame: `__masks__` (examples from 0) or `__masks__@<first example>` for one chunk. */
export const MASKS_LAYER = /^__masks__(?:@(\d{1,9}))?$/;

/**
 * Most mask values a probe may declare (examples × concepts × maskSize.h × maskSize.w): the concept jobs hold the run's
 * masks as one bit each (256 MiB at this bound), allocated from the declaration once every chunk has arrived.
 */
export const MAX_MASK_VALUES = 2 ** 31;

/** First example a masks frame's layer name covers, or null when the name is not a masks name. */
export function masksFirstExample(layer: string): number | null {
  const m = MASKS_LAYER.exec(layer);
  return m ? Number(m[1] ?? 0) : null;
}

/**
 * One layer at one checkpoint, as views get it (snapshot and deltas): counts per layer, never per unit, so a snapshot's
 * size does not grow with the units (the per-unit values are the `concept-units` request, ConceptUnits below).
 */
export const ConceptSummary = z.object({
  l: z.number().int().min(0),
  step: z.number(),
  /** "mask": pixel masks; "image": image-level labels as whole-image masks; "none": no concepts declared. */
  mode: z.enum(['mask', 'image', 'none']),
  detectors: z.number().int(),
  unique: z.number().int(),
  /** Unique detectors per category (order of `categories`). */
  uniqueByCategory: z.array(z.number().int()),
  /** Multiple correlation R per class (order of `classNames`); null where undefined. */
  sensitivity: z.array(z.number().nullable()),
  /** Directions kept for the sensitivity (SVCCA 99% rule). */
  k: z.number().nullable(),
  /** The units' class selectivity as quantiles p10, p25, median, p75, p90; null without class labels. */
  selectivityBands: z.array(z.number()).nullable(),
});
export type ConceptSummary = z.infer<typeof ConceptSummary>;

/** Per unit of one layer at one checkpoint: best concept (−1: none), its IoU, and Morcos et al.'s class selectivity (null where undefined). */
export interface ConceptUnitValues {
  best: number[];
  iou: number[];
  selectivity: Array<number | null>;
}

/** A whole cell: the summary and every unit's values (what the analysis computes and stores; export reads it). */
export type ConceptCell = ConceptSummary & ConceptUnitValues;

/** The cell without its per-unit values. */
export function summaryOf(cell: ConceptCell): ConceptSummary {
  const { best: _b, iou: _i, selectivity: _s, ...summary } = cell;
  return summary;
}

/** Detector counts a layer reaches on random activations of its shape (the chance baseline). */
export const ConceptChance = z.object({ detectors: z.number(), unique: z.number() });
export type ConceptChance = z.infer<typeof ConceptChance>;

/** What the cells refer to: layers, concepts, categories, classes and the thresholds used. */
export const ConceptMeta = z.object({
  layers: z.array(z.string()),
  units: z.array(z.number().int()),
  concepts: z.array(ConceptDecl),
  categories: z.array(z.string()),
  classNames: z.array(z.string()),
  /** Detector IoU threshold (0.04). */
  threshold: z.number(),
  /** Top quantile per layer. */
  quantiles: z.array(z.number()),
  /** Examples in the probe set (for the sensitivity's chance level √(k / (m − 1))). */
  examples: z.number().int(),
});
export type ConceptMeta = z.infer<typeof ConceptMeta>;

/** Snapshot form: the meta, the steps in order, and cells[l][c] per layer and step column (null until computed). */
export const ConceptState = ConceptMeta.extend({
  steps: z.array(z.number()),
  cells: z.array(z.array(ConceptSummary.nullable())),
  chance: z.array(ConceptChance.nullable()),
});
export type ConceptState = z.infer<typeof ConceptState>;
/** The same with whole cells (the stored statistics, for export). */
export type ConceptStateOf<C extends ConceptSummary> = Omit<ConceptState, 'cells'> & { cells: Array<Array<C | null>> };

/** A delta: a new meta (first, or after the probe changed), computed cells, and chance baselines per layer index. */
export const ConceptPatch = z.object({
  meta: ConceptMeta.optional(),
  cells: z.array(ConceptSummary).optional(),
  chance: z.array(z.object({ l: z.number().int().min(0), value: ConceptChance })).optional(),
});
export type ConceptPatch = z.infer<typeof ConceptPatch>;
/** The same with whole cells (as older analysis logs stored them). */
export type ConceptPatchOf<C extends ConceptSummary> = Omit<ConceptPatch, 'cells'> & { cells?: C[] };

/** Most units one `concept-units` request answers (a page of the raster; a unit's history asks for one). */
export const MAX_CONCEPT_UNITS = 512;

/** Params of the `concept-units` request: units [from, from + count) of one layer, at every computed checkpoint. */
export const ConceptUnitsParams = z.object({
  layer: z.string().min(1).max(200),
  from: z.number().int().min(0).default(0),
  count: z.number().int().min(1).max(MAX_CONCEPT_UNITS).default(MAX_CONCEPT_UNITS),
});
export type ConceptUnitsParams = z.infer<typeof ConceptUnitsParams>;

/** Answer to `concept-units`: per step of the run's concept statistics (ascending), the units' values, or null where not computed. */
export const ConceptUnits = z.object({
  layer: z.string(),
  /** Units the layer has; the answer covers [from, from + count). */
  units: z.number().int(),
  from: z.number().int(),
  count: z.number().int(),
  steps: z.array(z.number()),
  best: z.array(z.array(z.number().int()).nullable()),
  iou: z.array(z.array(z.number()).nullable()),
  selectivity: z.array(z.array(z.number().nullable()).nullable()),
});
export type ConceptUnits = z.infer<typeof ConceptUnits>;

/** An empty state for a meta. */
export function emptyConceptState<C extends ConceptSummary = ConceptSummary>(meta: ConceptMeta): ConceptStateOf<C> {
  return { ...meta, steps: [], cells: meta.layers.map(() => []), chance: meta.layers.map(() => null) };
}

/** Column of `step`, inserting an empty column in step order when it is new. */
function columnOf<C extends ConceptSummary>(state: ConceptStateOf<C>, step: number): number {
  let c = state.steps.length;
  while (c > 0 && state.steps[c - 1] > step) c--;
  if (c > 0 && state.steps[c - 1] === step) return c - 1;
  state.steps.splice(c, 0, step);
  for (const row of state.cells) row.splice(c, 0, null);
  return c;
}

/** Applies a patch (in place when a state exists; shared by the server, the browser store and the CLI); returns the state. */
export function applyConceptPatch<C extends ConceptSummary>(state: ConceptStateOf<C> | null, patch: ConceptPatchOf<C>): ConceptStateOf<C> | null {
  let s = state;
  if (patch.meta) {
    const same = s && JSON.stringify(s.layers) === JSON.stringify(patch.meta.layers);
    s = same ? Object.assign(s!, patch.meta) : emptyConceptState<C>(patch.meta);
  }
  if (!s) return null;
  for (const cell of patch.cells ?? []) {
    if (cell.l >= s.layers.length) continue;
    while (s.cells[cell.l].length < s.steps.length) s.cells[cell.l].push(null);
    s.cells[cell.l][columnOf(s, cell.step)] = cell;
  }
  for (const { l, value } of patch.chance ?? []) if (l < s.chance.length) s.chance[l] = value;
  return s;
}
