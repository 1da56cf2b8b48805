/** Each concept at its own resolution: whole-image concepts on per-example maxima, parts on upsampled pixels. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  analyseLayerConcepts,
  createMasks,
  labelsFromMasks,
  maxOverSpace,
  packMasksInto,
  scoreConcepts,
  wholeImageConcepts,
} from '../../../../lib/analysis/concepts';

const M = 200,
  H = 2,
  W = 2,
  S = 4; // examples, map h × w, mask side
const bright = (j: number) => j % 10 === 0;
const peaky = (j: number) => j % 10 === 1;

/** Masks: concept 0 "bright" whole images of every 10th example, concept 1 the left half of every image. */
function buildMasks() {
  const masks = createMasks(M, 2, S, S);
  const values = new Float32Array(2 * S * S);
  for (let j = 0; j < M; j++) {
    values.fill(0);
    if (bright(j)) values.fill(1, 0, S * S);
    for (let y = 0; y < S; y++) for (let x = 0; x < S / 2; x++) values[S * S + y * S + x] = 1;
    packMasksInto(masks, j, values, 1);
  }
  return masks;
}

/** Unit 0: mildly on (1) over all of every bright item, strongly (3) at one spot of other examples. Unit 1: on over the left column. */
function buildLayer() {
  const data = new Float32Array(2 * M * H * W);
  for (let j = 0; j < M; j++) {
    const o = j * H * W;
    if (bright(j)) data.fill(1, o, o + H * W);
    if (peaky(j)) data[o + 3] = 3;
    const o1 = (M + j) * H * W;
    data[o1] = data[o1 + 2] = 1 + (j % 7) / 10; // left column (x = 0) of the 2 × 2 map
  }
  return data;
}

describe('scoreConcepts', () => {
  it('tells whole-image masks from part masks and reads labels from them', () => {
    const masks = buildMasks();
    assert.deepEqual(wholeImageConcepts(masks), [true, false]);
    assert.deepEqual(labelsFromMasks(masks)[0], [0, 1]);
    assert.deepEqual(labelsFromMasks(masks)[1], [1]);
  });
  it('takes each example’s maximum over its map', () => {
    assert.deepEqual(Array.from(maxOverSpace(Float32Array.from([1, 5, 2, -1, -3, -2]), 1, 2, 3)), [5, -1]);
  });
  it('a unit mildly on over bright items but strongest elsewhere is not a "bright" detector; the left-column unit detects "left half"', () => {
    const masks = buildMasks();
    const data = buildLayer();
    const s = scoreConcepts(data, 2, M, H, W, 2, null, masks, { pixel: 0.1, image: 0.1 });
    assert.equal(s.pixels, true);
    // Unit 0's 20 strongest examples (maximum 3) are the peaky ones, none of them bright.
    assert.equal(s.iou[0], 0);
    assert.equal(s.tallyOf(0).total, M, 'bright is counted in examples');
    assert.equal(s.tallyOf(1).total, M * S * S, 'left half is counted in pixels');
    assert.ok(s.iou[3] > 0.1, `unit 1 vs left half: ${s.iou[3]}`);
    const probe = { examples: M, labels: null, classes: 0, conceptLabels: null, concepts: 2, category: [0, 1], categories: 2 };
    const r = analyseLayerConcepts({ data, units: 2, h: H, w: W }, probe, { masks, quantile: 0.1, imageQuantile: 0.1 });
    assert.equal(r.mode, 'mask');
    assert.notEqual(r.best[0], 0, 'unit 0 is not called bright');
    assert.equal(r.best[1], 1);
  });
  it('a spatial layer without masks scores labels on the per-example maxima', () => {
    const data = buildLayer();
    const conceptLabels = Array.from({ length: M }, (_, j) => (peaky(j) ? [0] : []));
    const s = scoreConcepts(data, 2, M, H, W, 1, conceptLabels, null, { pixel: 0.005, image: 0.1 });
    assert.equal(s.pixels, false);
    assert.equal(s.iou[0], 1, 'the 20 peaky examples are exactly unit 0’s top 10%');
  });
});
