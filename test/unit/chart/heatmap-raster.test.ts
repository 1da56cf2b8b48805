/** Heatmap rasterisation: orientation, colours, buckets showing their minimum, empty and stale cells. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketStart, rasterizeGrid, rasterWidth } from '../../../lib/chart/heatmap-raster';

// A two-entry LUT: value ≤ 0.5 → red, > 0.5 → blue (rounding at the midpoint).
const lut = new Uint8ClampedArray([255, 0, 0, 255, 0, 0, 255, 255]);
const empty = [9, 9, 9, 255] as const;
const px = (r: { data: Uint8ClampedArray; width: number }, x: number, y: number) => [...r.data.slice((y * r.width + x) * 4, (y * r.width + x) * 4 + 4)];

describe('rasterizeGrid', () => {
  it('puts the input-side layer at the bottom row and one pixel per checkpoint', () => {
    const r = rasterizeGrid(
      {
        rows: [
          [0, 1],
          [1, null],
        ],
        columns: 2,
        lo: 0,
        hi: 1,
        lut,
        empty,
      },
      100,
    );
    assert.equal(r.width, 2);
    assert.equal(r.height, 2);
    assert.deepEqual(px(r, 0, 1), [255, 0, 0, 255]); // layer 0, column 0 = 0 → red, bottom row
    assert.deepEqual(px(r, 1, 1), [0, 0, 255, 255]);
    assert.deepEqual(px(r, 0, 0), [0, 0, 255, 255]); // layer 1 on top
    assert.deepEqual(px(r, 1, 0), [...empty]);
  });

  it('shows the minimum of each bucket when there are more checkpoints than pixels', () => {
    const row = Array.from({ length: 1000 }, () => 1 as number | null);
    row[777] = 0;
    const r = rasterizeGrid({ rows: [row], columns: 1000, lo: 0, hi: 1, lut, empty }, 10);
    assert.equal(r.width, 10);
    assert.deepEqual(px(r, 7, 0), [255, 0, 0, 255]);
    assert.deepEqual(px(r, 6, 0), [0, 0, 255, 255]);
  });

  it('draws stale values mixed with the empty colour where fresh ones are missing', () => {
    const r = rasterizeGrid({ rows: [[null]], stale: [[1]], columns: 1, lo: 0, hi: 1, lut, empty, staleMix: 0.5 }, 10);
    assert.deepEqual(px(r, 0, 0), [4, 4, 132, 255]);
  });

  it('reuses the output buffer when the size fits', () => {
    const a = rasterizeGrid({ rows: [[0]], columns: 1, lo: 0, hi: 1, lut, empty }, 10);
    const b = rasterizeGrid({ rows: [[1]], columns: 1, lo: 0, hi: 1, lut, empty }, 10, a);
    assert.equal(a, b);
  });

  it('buckets cover every column exactly once', () => {
    const columns = 5000;
    const width = rasterWidth(columns, 777);
    let covered = 0;
    for (let p = 0; p < width; p++) covered += bucketStart(p + 1, columns, width) - bucketStart(p, columns, width);
    assert.equal(covered, columns);
    assert.equal(rasterWidth(3, 777), 3);
  });
});
