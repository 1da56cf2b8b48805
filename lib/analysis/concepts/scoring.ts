/**
 * IoU of every unit with every concept, each concept scored at its own resolution:
 * - concepts with pixel masks (a part of the item) against the unit's upsampled maps, at the pixel quantile of those
 *   upsampled maps (NetDissect, except where the quantile is taken: pixel-cuts.ts);
 * - concepts labelled per example (whole-image masks, or image-level labels) against one value per unit and example —
 *   the value itself for a pooled layer, the maximum over its map for a spatial one — at the image-level quantile.
 * Why not whole-image masks at pixel level, as NetDissect does for scenes and textures: on a 500-example probe a spatial
 * unit's top 2% of pixels spread over hundreds of examples, and a unit could be called a "bright" detector because it is
 * mildly on over large bright items while its strongest responses, the examples a person inspects, are not bright.
 */
import { createTally, iouFromTally, tallyImageLevel, tallyMasks } from './iou';
import { upsampledQuantileCuts } from './pixel-cuts';
import { topQuantileCuts } from './threshold';
import type { ConceptTally, PackedMasks, Real } from './types';

/** Per example, the largest of each unit's `positions` values (units × examples × positions in, units × examples out). */
export function maxOverSpace(data: Real, units: number, examples: number, positions: number): Float64Array {
  const out = new Float64Array(units * examples);
  for (let i = 0; i < units * examples; i++) {
    let max = -Infinity;
    for (let p = i * positions; p < (i + 1) * positions; p++) if (data[p] > max) max = data[p];
    out[i] = max;
  }
  return out;
}

/** Concepts whose masks are whole images (every example's mask empty or full): they are labels per example. */
export function wholeImageConcepts(masks: PackedMasks): boolean[] {
  const full = masks.h * masks.w;
  return Array.from({ length: masks.concepts }, (_, c) => {
    for (let j = 0; j < masks.examples; j++) {
      const n = masks.counts[j * masks.concepts + c];
      if (n !== 0 && n !== full) return false;
    }
    return true;
  });
}

/** The concepts each example shows according to its masks (a non-empty mask). */
export function labelsFromMasks(masks: PackedMasks): number[][] {
  return Array.from({ length: masks.examples }, (_, j) => {
    const list: number[] = [];
    for (let c = 0; c < masks.concepts; c++) if (masks.counts[j * masks.concepts + c] > 0) list.push(c);
    return list;
  });
}

export interface Scored {
  /** units × concepts. */
  iou: Float64Array;
  /** The tally each concept's IoU comes from (for its significance). */
  tallyOf: (c: number) => ConceptTally;
  /** Whether some concept was scored against pixel masks. */
  pixels: boolean;
}

/** Scores a layer: `data` is units × examples × h × w (h = w = 1 for a pooled layer); `masks` null without pixel masks; quantiles for pixels and for one value per example. */
export function scoreConcepts(
  data: Real,
  units: number,
  examples: number,
  h: number,
  w: number,
  concepts: number,
  conceptLabels: ReadonlyArray<ReadonlyArray<number>> | null,
  masks: PackedMasks | null,
  q: { pixel: number; image: number },
): Scored {
  const positions = h * w;
  const whole = masks ? wholeImageConcepts(masks) : new Array<boolean>(concepts).fill(true);
  const perExample = positions === 1 ? data : maxOverSpace(data, units, examples, positions);
  const image = createTally(units, concepts);
  const labels = conceptLabels ?? (masks ? labelsFromMasks(masks) : []);
  tallyImageLevel(image, perExample, examples, 1, topQuantileCuts(perExample, units, examples, q.image), labels);
  const iou = iouFromTally(image);
  let pixel: ConceptTally | null = null;
  if (masks && positions > 1 && whole.some((x) => !x)) {
    pixel = createTally(units, concepts);
    tallyMasks(pixel, data, examples, h, w, upsampledQuantileCuts(data, units, examples, h, w, masks.h, masks.w, q.pixel), masks);
    const fromPixels = iouFromTally(pixel);
    for (let u = 0; u < units; u++) for (let c = 0; c < concepts; c++) if (!whole[c]) iou[u * concepts + c] = fromPixels[u * concepts + c];
  }
  return { iou, tallyOf: (c) => (pixel && !whole[c] ? pixel : image), pixels: pixel !== null };
}
