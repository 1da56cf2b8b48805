/** The Grad-CAM overlay's pixels: zero evidence leaves the image, full evidence at opacity 1 is the ramp's top colour, and the map is upsampled with centres aligned. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { fromBase64, overlayPixels } from '../../../lib/chart/gradcam-overlay';

const lut = new Uint8ClampedArray(256 * 4);
for (let i = 0; i < 256; i++) lut.set([i, 0, 255 - i, 255], i * 4);
const image = Uint8Array.from([10, 20, 30, 40]); // 2 × 2 grey
const base = { side: 4, image, imageSize: { h: 2, w: 2, channels: 1 as const }, mapSize: { h: 1, w: 2 }, lut };

it('an all-zero map leaves the image, nearest-neighbour scaled', () => {
  const px = overlayPixels({ ...base, map: Uint8Array.from([0, 0]), opacity: 0.8 });
  assert.deepEqual([px[0], px[1], px[2], px[3]], [10, 10, 10, 255]);
  assert.deepEqual([px[(3 * 4 + 3) * 4], px[(3 * 4 + 3) * 4 + 2]], [40, 40]);
});

it('the map is bilinear along its axis: right half at the peak colour, left half at the image', () => {
  const px = overlayPixels({ ...base, map: Uint8Array.from([0, 255]), opacity: 1 });
  const at = (x: number, y: number) => Array.from(px.subarray((y * 4 + x) * 4, (y * 4 + x) * 4 + 3));
  assert.deepEqual(at(0, 0), [10, 10, 10], 'column 0 samples the left value 0');
  assert.deepEqual(at(3, 0), [255, 0, 0], 'column 3 samples the peak: the ramp top, opaque');
  // Column 1 sits at source x = 0.25: value 0.25, blended a quarter of the way to the ramp colour at 0.25 (64, 0, 191).
  assert.deepEqual(at(1, 0), [Math.round(0.75 * 10 + 0.25 * 64), Math.round(0.75 * 10), Math.round(0.75 * 10 + 0.25 * 191)]);
});

it('decodes base64', () => assert.deepEqual(Array.from(fromBase64(Buffer.from([0, 1, 255]).toString('base64'))), [0, 1, 255]));
