/** Per-layer readings of a convergence grid: when each layer settled, and its latest values. */
import type { Cell } from './heatmap-raster';

/** Similarity to the reference from which a layer counts as settled (the run page's layer table, the overview). */
export const SETTLED = 0.95;

/** Index of the first column from which the row stays at or above `threshold` up to its last value, or -1 (null cells do not break a run). */
export function settledFrom(row: ReadonlyArray<Cell>, threshold: number, columns = row.length): number {
  let from = -1;
  let seen = false;
  for (let c = 0; c < columns; c++) {
    const v = row[c];
    if (v === null || v === undefined) continue;
    seen = true;
    if (v >= threshold) {
      if (from < 0) from = c;
    } else from = -1;
  }
  return seen ? from : -1;
}

/** Index of the first column whose value reaches `threshold`, or -1. */
export function firstReaching(row: ReadonlyArray<Cell>, threshold: number, columns = row.length): number {
  for (let c = 0; c < columns; c++) {
    const v = row[c];
    if (v !== null && v !== undefined && v >= threshold) return c;
  }
  return -1;
}

/** The last non-null value at or before column `at`, with its column, or null. */
export function lastValueAt(row: ReadonlyArray<Cell>, at: number): { c: number; v: number } | null {
  for (let c = Math.min(at, row.length - 1); c >= 0; c--) {
    const v = row[c];
    if (v !== null && v !== undefined) return { c, v };
  }
  return null;
}

/**
 * How a layer reads against its reference: settled from a column before the reference, "at-reference" when the run
 * at or above the threshold starts only at the reference column itself (every layer equals itself there, so that is
 * no evidence of settling), or changing.
 */
export type Settling = { state: 'settled'; from: number } | { state: 'at-reference' } | { state: 'changing' };

/** The settling of one row whose reference is column `reference` (columns after it are not read). */
export function settling(row: ReadonlyArray<Cell>, threshold: number, reference: number): Settling {
  if (reference < 0) return { state: 'changing' };
  const from = settledFrom(row, threshold, reference + 1);
  if (from < 0) return { state: 'changing' };
  return from >= reference ? { state: 'at-reference' } : { state: 'settled', from };
}

/** Per layer, the step from which it settled (null: changing, or settled only at the reference): the overview's columns. */
export function settleSteps(grid: {
  layers: readonly string[];
  steps: readonly number[];
  reference: number | null;
  toNewest: ReadonlyArray<ReadonlyArray<Cell>>;
}): Array<{ layer: string; step: number | null }> {
  const { layers } = settlingSummary(grid, SETTLED);
  return grid.layers.map((layer, l) => {
    const s = layers[l];
    return { layer, step: s?.state === 'settled' ? grid.steps[s.from] : null };
  });
}

/** Per layer, its settling against the grid's reference, and how many layers have settled. */
export function settlingSummary(
  grid: { steps: readonly number[]; reference: number | null; toNewest: ReadonlyArray<ReadonlyArray<Cell>> },
  threshold: number,
): { layers: Settling[]; settled: number } {
  const ref = grid.reference === null ? grid.steps.length - 1 : grid.steps.indexOf(grid.reference);
  const layers = grid.toNewest.map((row) => settling(row, threshold, ref));
  return { layers, settled: layers.filter((s) => s.state === 'settled').length };
}
