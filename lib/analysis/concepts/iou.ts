/**
 * Concept IoU per unit × concept (Network Dissection): IoU_kc = Σ|M_k ∩ L_c| / Σ|M_k ∪ L_c| over the probe set, kept as
 * streaming tallies (act_k, gt_c, I_kc) so memory is O(units × concepts) whatever the examples, positions and checkpoints.
 * Every probe example counts as annotated for every concept (a missing label means "absent"): NetDissect restricts each
 * sum to images annotated for the concept's category, which here would turn a one-concept category's IoU into recall.
 */
import { bilinearPlan, popcount, upsampleInto } from './masks';
import type { ConceptTally, PackedMasks, Real } from './types';

/** An empty tally. */
export function createTally(units: number, concepts: number): ConceptTally {
  return { units, concepts, total: 0, act: new Float64Array(units), gt: new Float64Array(concepts), inter: new Float64Array(units * concepts) };
}

/**
 * Tallies image-level labels as whole-image masks: `values` is units × examples × positions, a unit is on where its
 * value is > cuts[u], and concept c covers every position of the examples whose `conceptLabels` list it.
 */
export function tallyImageLevel(
  tally: ConceptTally,
  values: Real,
  examples: number,
  positions: number,
  cuts: Float64Array,
  conceptLabels: ReadonlyArray<ReadonlyArray<number>>,
): void {
  const { units, concepts } = tally;
  tally.total += examples * positions;
  for (let j = 0; j < examples; j++) {
    for (const c of conceptLabels[j] ?? []) if (c >= 0 && c < concepts) tally.gt[c] += positions;
  }
  for (let u = 0; u < units; u++) {
    const cut = cuts[u];
    const row = u * examples * positions;
    for (let j = 0; j < examples; j++) {
      let on = 0;
      const o = row + j * positions;
      for (let p = 0; p < positions; p++) if (values[o + p] > cut) on++;
      if (on === 0) continue;
      tally.act[u] += on;
      for (const c of conceptLabels[j] ?? []) if (c >= 0 && c < concepts) tally.inter[u * concepts + c] += on;
    }
  }
}

/**
 * Tallies pixel masks: `values` is units × examples × h × w, each map is upsampled bilinearly to the masks' H × W and
 * binarised at cuts[u]; maps whose maximum is not above the cut are skipped (bilinear values never exceed it).
 */
export function tallyMasks(tally: ConceptTally, values: Real, examples: number, h: number, w: number, cuts: Float64Array, masks: PackedMasks): void {
  const { units, concepts } = tally;
  const { h: H, w: W, words } = masks;
  const px = h * w;
  const plan = bilinearPlan(h, w, H, W);
  const up = new Float64Array(H * W);
  const on = new Uint32Array(words);
  tally.total += examples * H * W;
  for (let j = 0; j < examples; j++) for (let c = 0; c < concepts; c++) tally.gt[c] += masks.counts[j * concepts + c];
  const present: number[][] = [];
  for (let j = 0; j < examples; j++) {
    const list: number[] = [];
    for (let c = 0; c < concepts; c++) if (masks.counts[j * concepts + c] > 0) list.push(c);
    present.push(list);
  }
  for (let u = 0; u < units; u++) {
    const cut = cuts[u];
    for (let j = 0; j < examples; j++) {
      const o = (u * examples + j) * px;
      let max = -Infinity;
      for (let p = 0; p < px; p++) if (values[o + p] > max) max = values[o + p];
      if (!(max > cut)) continue;
      upsampleInto(values, o, plan, up);
      on.fill(0);
      let count = 0;
      for (let p = 0; p < H * W; p++) {
        if (up[p] > cut) {
          on[p >>> 5] |= 1 << (p & 31);
          count++;
        }
      }
      if (count === 0) continue;
      tally.act[u] += count;
      for (const c of present[j]) {
        const base = (j * concepts + c) * words;
        let n = 0;
        for (let k = 0; k < words; k++) n += popcount(on[k] & masks.bits[base + k]);
        tally.inter[u * concepts + c] += n;
      }
    }
  }
}

/** IoU per unit × concept from a tally (0 where the union is empty). */
export function iouFromTally(tally: ConceptTally): Float64Array {
  const { units, concepts, act, gt, inter } = tally;
  const iou = new Float64Array(units * concepts);
  for (let u = 0; u < units; u++) {
    for (let c = 0; c < concepts; c++) {
      const i = inter[u * concepts + c];
      const union = act[u] + gt[c] - i;
      iou[u * concepts + c] = union > 0 ? i / union : 0;
    }
  }
  return iou;
}
