/** Per-layer readings of a convergence grid: when each layer settled, and its latest values. */
import type { Cell } from './heatmap-raster';

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
