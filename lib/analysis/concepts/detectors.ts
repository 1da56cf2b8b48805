/**
 * Detectors (Network Dissection): a unit whose best concept IoU exceeds 0.04 detects that concept; unique detectors count
 * distinct concepts. With the tallies at hand, a unit's best concept is chosen among the concepts its on-region is
 * significantly enriched for (significance.ts), so a handful of "on" examples cannot make a detector by chance.
 */
import { DETECTOR_ALPHA, overlapPValue } from './significance';
import type { ConceptTally } from './types';

/** NetDissect's detector threshold (IoU > 0.04). */
export const DETECTOR_IOU = 0.04;

/**
 * Per unit, the best concept and its IoU; ties go to the lower concept index. Without `tally` the best is the highest
 * IoU (−1 when every IoU is 0). With it (or a tally per concept), only concepts whose overlap has p < `alpha`
 * (overlapPValue) compete; −1 with IoU 0 when none does.
 */
export function bestConcepts(
  iou: Float64Array,
  units: number,
  concepts: number,
  tally?: ConceptTally | ((c: number) => ConceptTally),
  alpha = DETECTOR_ALPHA,
): { best: Int32Array; iou: Float64Array } {
  const of = typeof tally === 'function' ? tally : () => tally!;
  const best = new Int32Array(units).fill(-1);
  const top = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    for (let c = 0; c < concepts; c++) {
      const i = u * concepts + c;
      const v = iou[i];
      if (!(v > top[u])) continue;
      if (tally) {
        const t = of(c);
        if (!(overlapPValue(t.total, t.gt[c], t.act[u], t.inter[i]) < alpha)) continue;
      }
      top[u] = v;
      best[u] = c;
    }
  }
  return { best, iou: top };
}

/** Detector counts of a layer: units above the threshold, distinct concepts among them, and distinct concepts per category. */
export interface DetectorSummary {
  detectors: number;
  unique: number;
  uniqueByCategory: number[];
}

/** Counts detectors; `category[c]` is concept c's category index (0 … categories − 1). */
export function summariseDetectors(
  best: Int32Array,
  bestIou: Float64Array,
  category: ArrayLike<number>,
  categories: number,
  threshold = DETECTOR_IOU,
): DetectorSummary {
  const seen = new Set<number>();
  let detectors = 0;
  for (let u = 0; u < best.length; u++) {
    if (best[u] < 0 || !(bestIou[u] > threshold)) continue;
    detectors++;
    seen.add(best[u]);
  }
  const uniqueByCategory = new Array<number>(categories).fill(0);
  for (const c of seen) uniqueByCategory[category[c]]++;
  return { detectors, unique: seen.size, uniqueByCategory };
}
