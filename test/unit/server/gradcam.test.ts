/** Grad-CAM refs of a run: kept in step order, a later frame for a step replacing the earlier; maps scaled to their peak. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { addGradcamFrames, gradcamAt, mapBytes, withGradcamRef } from '../../../server/analysis/gradcam';

const frame = (step: number, offset: number, layer = '__gradcam__:conv2') => ({ layer, step, offset, length: 10, shape: [2, 2, 3, 3] });

it('keeps frames in step order, replaces a resent step and skips other frames', () => {
  const refs = addGradcamFrames([], [frame(20, 1), frame(10, 2), frame(30, 3), frame(20, 4), frame(15, 5, 'conv2'), { ...frame(25, 6), step: undefined }]);
  assert.deepEqual(refs.map((r) => [r.step, r.offset, r.source]), [[10, 2, 'conv2'], [20, 4, 'conv2'], [30, 3, 'conv2']]);
  const merged = withGradcamRef(refs, { step: 5, source: 'conv2', offset: 9, length: 1, shape: [1, 1, 1, 1] });
  assert.deepEqual(merged.map((r) => r.step), [5, 10, 20, 30]);
  assert.equal(refs.length, 3, 'a new list; the old one is unchanged');
  assert.equal(gradcamAt(refs, 25)?.step, 20);
  assert.equal(gradcamAt(refs)?.step, 30);
  assert.equal(gradcamAt(refs, 9), null);
});

it('scales a map to bytes of its own peak; an all-zero map stays zero', () => {
  assert.deepEqual([...mapBytes(Float32Array.from([0, 1, 2, 4])).bytes], [0, 64, 128, 255]);
  assert.equal(mapBytes(Float32Array.from([0, 1, 2, 4])).peak, 4);
  assert.deepEqual(mapBytes(new Float32Array(3)), { bytes: new Uint8Array(3), peak: 0 });
});
