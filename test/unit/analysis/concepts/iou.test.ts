/** IoU tallies against hand-computed cases: image-level labels, whole-image masks over positions, pixel masks with bilinear upsampling, ties, dead units. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bestConcepts,
  bilinearPlan,
  createMasks,
  createTally,
  iouFromTally,
  packMasksInto,
  popcount,
  summariseDetectors,
  tallyImageLevel,
  tallyMasks,
  topQuantileCuts,
  upsampleInto,
} from '../../../../lib/analysis/concepts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-12, `${a} ≈ ${b}`);

describe('image-level IoU', () => {
  it('one unit on examples 0 and 1: IoU 1/3 with concept 0 (examples 0, 2) and 1/2 with concept 1 (example 1)', () => {
    const values = Float64Array.from([4, 3, 2, 1]);
    const tally = createTally(1, 2);
    tallyImageLevel(tally, values, 4, 1, topQuantileCuts(values, 1, 4, 0.5), [[0], [1], [0], []]);
    assert.deepEqual([Array.from(tally.act), Array.from(tally.gt), Array.from(tally.inter)], [[2], [2, 1], [1, 1]]);
    const iou = iouFromTally(tally);
    close(iou[0], 1 / 3);
    close(iou[1], 1 / 2);
    const { best, iou: top } = bestConcepts(iou, 1, 2);
    assert.equal(best[0], 1);
    close(top[0], 0.5);
  });
  it('labels count as whole-image masks over positions: one of four pixels on → IoU 1/4', () => {
    const values = Float64Array.from([5, 1, 0, 0]); // 1 unit, 2 examples × 2 positions
    const tally = createTally(1, 1);
    tallyImageLevel(tally, values, 2, 2, topQuantileCuts(values, 1, 4, 0.25), [[0], [0]]);
    close(iouFromTally(tally)[0], 1 / 4);
  });
  it('tallies stream: two halves of the probe add up to the whole', () => {
    const labels = [[0], [1], [0, 1], []];
    const values = Float64Array.from([4, 3, 2, 1]);
    const cuts = topQuantileCuts(values, 1, 4, 0.5);
    const whole = createTally(1, 2),
      parts = createTally(1, 2);
    tallyImageLevel(whole, values, 4, 1, cuts, labels);
    tallyImageLevel(parts, values.subarray(0, 2), 2, 1, cuts, labels.slice(0, 2));
    tallyImageLevel(parts, values.subarray(2, 4), 2, 1, cuts, labels.slice(2));
    assert.deepEqual(Array.from(iouFromTally(parts)), Array.from(iouFromTally(whole)));
  });
  it('a dead unit has IoU 0 everywhere and no best concept', () => {
    const values = Float64Array.from([0, 0, 0, 0]);
    const tally = createTally(1, 2);
    tallyImageLevel(tally, values, 4, 1, topQuantileCuts(values, 1, 4, 0.5), [[0], [1], [0, 1], [0, 1]]);
    const { best } = bestConcepts(iouFromTally(tally), 1, 2);
    assert.equal(best[0], -1);
  });
});

describe('bilinear upsampling and masks', () => {
  it('2 → 4 with pixel centres aligned gives [0, .25, .75, 1] along each axis (as align_corners=False)', () => {
    const out = new Float64Array(16);
    upsampleInto(Float64Array.from([0, 1, 2, 3]), 0, bilinearPlan(2, 2, 4, 4), out);
    assert.deepEqual(Array.from(out.subarray(0, 4)), [0, 0.25, 0.75, 1]);
    assert.deepEqual([out[0], out[4], out[8], out[12]], [0, 0.5, 1.5, 2]);
    assert.equal(out[15], 3);
  });
  it('packs masks as bitsets and counts pixels', () => {
    const masks = createMasks(1, 2, 6, 6);
    const values = new Float32Array(72);
    values[0] = values[35] = values[36 + 33] = 1;
    packMasksInto(masks, 0, values, 1);
    assert.deepEqual(Array.from(masks.counts), [2, 1]);
    assert.equal(popcount(0xffffffff), 32);
    assert.equal(popcount(0b1011), 3);
  });
  it('pixel IoU: a 1 × 1 map upsampled to 2 × 2, on in example 0 only: IoU = 2 / (4 + 6 − 2)', () => {
    const masks = createMasks(2, 1, 2, 2);
    packMasksInto(masks, 0, [1, 1, 0, 0, 1, 1, 1, 1], 2);
    const values = Float64Array.from([1, 0]);
    const tally = createTally(1, 1);
    tallyMasks(tally, values, 2, 1, 1, topQuantileCuts(values, 1, 2, 0.5), masks);
    assert.deepEqual([tally.act[0], tally.gt[0], tally.inter[0]], [4, 6, 2]);
    close(iouFromTally(tally)[0], 0.25);
  });
  it('pixel IoU follows the upsampled map: the right half of a 1 × 2 map matches a right-half mask', () => {
    const masks = createMasks(1, 2, 4, 4);
    const right = [0, 0, 1, 1],
      left = [1, 1, 0, 0];
    packMasksInto(masks, 0, [...right, ...right, ...right, ...right, ...left, ...left, ...left, ...left], 1);
    const values = Float64Array.from([0, 1]);
    const tally = createTally(1, 2);
    tallyMasks(tally, values, 1, 1, 2, topQuantileCuts(values, 1, 2, 0.5), masks);
    const iou = iouFromTally(tally);
    // Upsampled row [0, .25, .75, 1]; cut just below 1 → only column 3 on (4 pixels): IoU 4/8 with right, 0 with left.
    close(iou[0], 0.5);
    close(iou[1], 0);
  });
});

describe('detectors', () => {
  it('counts units above 0.04 (not at it), distinct concepts, and distinct concepts per category', () => {
    const best = Int32Array.from([0, 0, 1, -1, 2, 1]);
    const iou = Float64Array.from([0.05, 0.1, 0.03, 0, 0.5, 0.04]);
    const s = summariseDetectors(best, iou, [0, 0, 1], 2);
    assert.deepEqual(s, { detectors: 3, unique: 2, uniqueByCategory: [1, 1] });
  });
  it('breaks IoU ties towards the lower concept index', () => {
    assert.equal(bestConcepts(Float64Array.from([0.2, 0.3, 0.3]), 1, 3).best[0], 1);
  });
});
