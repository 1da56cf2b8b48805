/** Colour ramps and the layer palette. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { layerColour, lutIndex, OKABE_ITO, rampLut, rgbaBytes, runColour } from '../../../lib/chart/colour';

describe('colour', () => {
  it('rampLut samples viridis from dark purple to yellow', () => {
    const lut = rampLut('viridis', 256);
    assert.equal(lut.length, 1024);
    assert.deepEqual([...lut.slice(0, 4)], [68, 1, 84, 255]);
    assert.deepEqual([...lut.slice(1020, 1024)], [253, 231, 37, 255]);
  });

  it('cividis is available and opaque', () => {
    const lut = rampLut('cividis', 8);
    for (let i = 3; i < lut.length; i += 4) assert.equal(lut[i], 255);
  });

  it('lutIndex clamps to the table', () => {
    assert.equal(lutIndex(-1, 0, 1, 256), 0);
    assert.equal(lutIndex(2, 0, 1, 256), 255);
    assert.equal(lutIndex(0.5, 0, 1, 256), 128);
    assert.equal(lutIndex(3, 1, 1, 256), 0);
  });

  it('layerColour is stable, categorical up to eight layers, a ramp beyond', () => {
    assert.equal(layerColour(0, 5), OKABE_ITO[0]);
    assert.equal(layerColour(4, 5), layerColour(4, 5));
    const many = Array.from({ length: 48 }, (_, i) => layerColour(i, 48));
    assert.equal(new Set(many).size, 48);
  });

  it('runColour gives eight distinct colours, blue and vermillion first', () => {
    const eight = Array.from({ length: 8 }, (_, i) => runColour(i));
    assert.equal(new Set(eight).size, 8);
    assert.deepEqual(eight.slice(0, 2), [OKABE_ITO[4], OKABE_ITO[5]]);
  });

  it('rgbaBytes parses CSS colours', () => {
    assert.deepEqual(rgbaBytes('#ff0000'), [255, 0, 0, 255]);
    assert.deepEqual(rgbaBytes('not a colour', 10), [128, 128, 128, 10]);
  });
});
