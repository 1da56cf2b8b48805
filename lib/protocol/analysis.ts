/** Analysis state carried on /live (snapshot `analysis` and `analysis` deltas): convergence now, concepts and advice later. */
import { z } from 'zod';
import { METRICS as ALL_METRICS } from '../analysis/types';

export const MetricName = z.enum(ALL_METRICS);
export type MetricName = z.infer<typeof MetricName>;
/** What a server computes live unless `serve --metrics` says otherwise. */
export const DEFAULT_LIVE_METRICS: readonly MetricName[] = ['svcca-k', 'cka'];
/** The live view's default: fixed-k SVCCA (see README "Which metric"). */
export const DEFAULT_METRIC: MetricName = DEFAULT_LIVE_METRICS[0];
/** Every metric in the views' order: the default live metrics first. */
export const METRICS: readonly MetricName[] = [...DEFAULT_LIVE_METRICS, ...ALL_METRICS.filter((m) => !DEFAULT_LIVE_METRICS.includes(m))];

const cellValue = z.number().nullable();

/**
 * Convergence of one metric, a layers × checkpoints grid (columns = checkpoint steps, in order):
 * `toNewest[l][c]` similarity of layer l at checkpoint c to the same layer at `reference` (the newest checkpoint, or the final one once the run ended);
 * `stability[l][c]` similarity to checkpoint c − 1 (null for the first);
 * `k[l][c]` directions kept at checkpoint c (SVCCA kinds; null otherwise).
 */
export const ConvergenceGrid = z.object({
  metric: MetricName,
  layers: z.array(z.string()),
  steps: z.array(z.number()),
  reference: z.number().nullable(),
  toNewest: z.array(z.array(cellValue)),
  stability: z.array(z.array(cellValue)),
  k: z.array(z.array(cellValue)),
  /** Chance baseline per layer: the metric between random data of the layer's shape and the probe size. */
  chance: z.array(cellValue),
  /** Cells still to compute for the current reference (0 once the grid is complete). */
  pending: z.number(),
});
export type ConvergenceGrid = z.infer<typeof ConvergenceGrid>;

/** A cell update; absent fields are unchanged. */
export const ConvergenceCell = z.object({
  l: z.number().int().min(0),
  c: z.number().int().min(0),
  toNewest: cellValue.optional(),
  stability: cellValue.optional(),
  k: cellValue.optional(),
});
export type ConvergenceCell = z.infer<typeof ConvergenceCell>;

/** Delta of the convergence grid of one metric. */
export const ConvergencePatch = z.object({
  metric: MetricName,
  /** Grid key when it is not the metric's live grid: a re-analysis with other options, e.g. "svcca|threshold=0.95". */
  key: z.string().max(80).optional(),
  /** New column(s) appended at the right (a checkpoint arrived). */
  addSteps: z.array(z.number()).optional(),
  /** The reference changed: every toNewest value is cleared before `cells` apply. */
  reference: z.number().nullable().optional(),
  cells: z.array(ConvergenceCell),
  chance: z.array(cellValue).optional(),
  pending: z.number().optional(),
});
export type ConvergencePatch = z.infer<typeof ConvergencePatch>;

/** Progress of a re-analysis of stored activations (metric or options other than the live ones). */
export const ReanalysisProgress = z.object({
  key: z.string(),
  metric: MetricName,
  done: z.number(),
  total: z.number(),
  status: z.enum(['running', 'done', 'cancelled', 'failed']),
  message: z.string().optional(),
});
export type ReanalysisProgress = z.infer<typeof ReanalysisProgress>;

/**
 * Progress of analysing a stored run whose log came without (complete) stored analysis — an older export, a log from
 * another writer, a run cut off by a crash — with the server's live metrics, started when the run is opened.
 */
export const AnalysisProgress = z.object({
  status: z.enum(['running', 'done', 'failed']),
  /** Comparisons and concept jobs finished, of `total`. */
  done: z.number(),
  total: z.number(),
  /** What is being computed: metric names, and "concepts" when the probe has labels. */
  parts: z.array(z.string()),
  message: z.string().optional(),
});
export type AnalysisProgress = z.infer<typeof AnalysisProgress>;

/**
 * How far a live run's analysis is behind its checkpoints: nothing is dropped, the newest-first work of every checkpoint
 * (stability, k and the "to newest" column of the first live metric) waits its turn; the trainer is never held back.
 */
export const AnalysisBacklog = z.object({
  metric: MetricName,
  /** Checkpoints stored whose newest-first work is not done yet. */
  behind: z.number().int().min(0),
  /** Seconds of analysis one checkpoint has taken lately (null until one was measured). */
  secondsPerCheckpoint: z.number().nullable(),
  /** Seconds between the trainer's checkpoints lately (null until two arrived, and once the run ended). */
  arrivalSeconds: z.number().nullable(),
  /** Expected seconds until `behind` is 0 (null while checkpoints arrive at least as fast as they are analysed). */
  catchUpSeconds: z.number().nullable(),
});
export type AnalysisBacklog = z.infer<typeof AnalysisBacklog>;

/** Two runs' layers compared at one step each (answer to the `compare` request). */
export const CompareMatrix = z.object({
  metric: MetricName,
  runs: z.tuple([z.string(), z.string()]),
  steps: z.tuple([z.number(), z.number()]),
  layers: z.tuple([z.array(z.string()), z.array(z.string())]),
  /** values[i][j]: layer i of the first run against layer j of the second. */
  values: z.array(z.array(cellValue)),
  chance: z.number().nullable(),
});
export type CompareMatrix = z.infer<typeof CompareMatrix>;

/** Snapshot form under `analysis.convergence`: every computed metric. */
export const ConvergenceState = z.object({
  defaultMetric: MetricName,
  grids: z.record(z.string(), ConvergenceGrid),
});
export type ConvergenceState = z.infer<typeof ConvergenceState>;

/** Layer × layer similarity at one checkpoint (answer to the `layer-matrix` request). */
export const LayerMatrix = z.object({
  metric: MetricName,
  step: z.number(),
  layers: z.array(z.string()),
  values: z.array(z.array(cellValue)),
  chance: z.number().nullable(),
});
export type LayerMatrix = z.infer<typeof LayerMatrix>;

/** Applies a patch to a grid in place (shared by the server's state and the browser store). */
export function applyConvergencePatch(grid: ConvergenceGrid, patch: ConvergencePatch): void {
  if (patch.addSteps) {
    for (const step of patch.addSteps) {
      grid.steps.push(step);
      for (const row of [grid.toNewest, grid.stability, grid.k]) for (const r of row) r.push(null);
    }
  }
  if (patch.reference !== undefined) {
    grid.reference = patch.reference;
    for (const r of grid.toNewest) r.fill(null);
  }
  for (const cell of patch.cells) {
    if (cell.l >= grid.layers.length || cell.c >= grid.steps.length) continue;
    if (cell.toNewest !== undefined) grid.toNewest[cell.l][cell.c] = cell.toNewest;
    if (cell.stability !== undefined) grid.stability[cell.l][cell.c] = cell.stability;
    if (cell.k !== undefined) grid.k[cell.l][cell.c] = cell.k;
  }
  if (patch.chance) grid.chance = patch.chance;
  if (patch.pending !== undefined) grid.pending = patch.pending;
}

/** An empty grid for a run's layers. */
export function emptyGrid(metric: MetricName, layers: string[]): ConvergenceGrid {
  return {
    metric,
    layers: [...layers],
    steps: [],
    reference: null,
    toNewest: layers.map(() => []),
    stability: layers.map(() => []),
    k: layers.map(() => []),
    chance: layers.map(() => null),
    pending: 0,
  };
}
