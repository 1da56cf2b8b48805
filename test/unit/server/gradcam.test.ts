/** Grad-CAM refs of a run: kept in step order, a later frame for a step replacing the earlier; maps scaled to their peak. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { addGradcamFrames, gradcamAt, mapBytes, withGradcamRef } from '../../../server/analysis/gradcam';
import { readLayout } from '../../../server/analysis/offline';
import { DEFAULT_LIMITS } from '../../../server/http/limits';
import { craftLog, validRunRecords } from '../../fixtures/craft-log';
import { gradcamFrame } from '../../fixtures/hostile-logs';
import { tempDir } from '../storage/helpers';

const frame = (step: number, offset: number, layer = '__gradcam__:conv2') => ({ layer, step, offset, length: 10, shape: [2, 2, 3, 3] });

it('keeps frames in step order, replaces a resent step and skips other frames', () => {
  const refs = addGradcamFrames([], [frame(20, 1), frame(10, 2), frame(30, 3), frame(20, 4), frame(15, 5, 'conv2'), { ...frame(25, 6), step: undefined }]);
  assert.deepEqual(
    refs.map((r) => [r.step, r.offset, r.source]),
    [
      [10, 2, 'conv2'],
      [20, 4, 'conv2'],
      [30, 3, 'conv2'],
    ],
  );
  const merged = withGradcamRef(refs, { step: 5, source: 'conv2', offset: 9, length: 1, shape: [1, 1, 1, 1] });
  assert.deepEqual(
    merged.map((r) => r.step),
    [5, 10, 20, 30],
  );
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

it('reads a stored non-finite or negative value as 0, so an answer stays finite whatever the file holds', () => {
  const { bytes, peak } = mapBytes(Float32Array.from([NaN, 2, Infinity, -3, 1]));
  assert.equal(peak, 2);
  assert.deepEqual([...bytes], [0, 255, 0, 0, 128]);
});

it('the stored layout leaves out a Grad-CAM frame whose header does not describe its maps', async () => {
  const { dir, cleanup } = await tempDir();
  try {
    const { records } = validRunRecords({ id: 'hostile', checkpoints: 1 });
    const file = path.join(dir, 'log.lwlog');
    // A later frame for the step whose header has 3 × 2 classes for 3 × 1 maps: no view may index by it.
    const lying = gradcamFrame(10, { examples: [0, 1, 2], shape: [3, 1, 3, 3] });
    await writeFile(file, craftLog([...records.slice(0, 6), gradcamFrame(10), lying, ...records.slice(6)]));
    const layout = await readLayout(file, DEFAULT_LIMITS);
    assert.equal(layout.gradcam.length, 1);
    assert.deepEqual(layout.gradcam[0].shape, [2, 2, 3, 3], 'the valid frame, not the later lying one');
  } finally {
    await cleanup();
  }
});
