/** Detectors (Network Dissection): a unit whose best concept IoU exceeds 0.04 detects that concept; unique detectors count distinct concepts. */

/** NetDissect's detector threshold (IoU > 0.04). */
export const DETECTOR_IOU = 0.04;

/** Per unit, the best concept (−1 when every IoU is 0) and its IoU; ties go to the lower concept index. */
export function bestConcepts(iou: Float64Array, units: number, concepts: number): { best: Int32Array; iou: Float64Array } {
  const best = new Int32Array(units).fill(-1);
  const top = new Float64Array(units);
  for (let u = 0; u < units; u++) {
    for (let c = 0; c < concepts; c++) {
      const v = iou[u * concepts + c];
      if (v > top[u]) (top[u] = v), (best[u] = c);
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
export function summariseDetectors(best: Int32Array, bestIou: Float64Array, category: ArrayLike<number>, categories: number, threshold = DETECTOR_IOU): DetectorSummary {
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
