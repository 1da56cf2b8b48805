/** Rasterises a layers × checkpoints grid into RGBA pixels: one pixel row per layer (input side at the bottom), one pixel column per checkpoint or per bucket of checkpoints. */

export type Cell = number | null;

export interface RasterInput {
  /** Layers × checkpoints, input side first. */
  rows: ReadonlyArray<ReadonlyArray<Cell>>;
  /** Values from before the last reference change, shown dimmed where `rows` has no value yet. */
  stale?: ReadonlyArray<ReadonlyArray<Cell>> | null;
  /** Number of checkpoint columns to draw. */
  columns: number;
  /** Colour domain. */
  lo: number;
  hi: number;
  /** RGBA lookup table along the colour ramp. */
  lut: Uint8ClampedArray;
  /** RGBA of a cell with no value yet. */
  empty: readonly [number, number, number, number];
  /** Weight of the ramp colour for stale cells (the rest is `empty`). */
  staleMix?: number;
}

export interface Raster {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** Pixel width of the raster: one pixel per checkpoint, at most `maxWidth` (then each pixel column covers a bucket of checkpoints). */
export function rasterWidth(columns: number, maxWidth: number): number {
  return Math.max(1, Math.min(columns, Math.max(1, Math.floor(maxWidth))));
}

/** First checkpoint column of pixel column `px` (bucket b covers [bucketStart(b), bucketStart(b + 1))). */
export function bucketStart(px: number, columns: number, width: number): number {
  return Math.floor((px * columns) / width);
}

/** Fills `into` (reused when its size fits) with the grid's colours; a bucket shows its lowest value, so a layer that has not settled is never hidden by decimation. */
export function rasterizeGrid(input: RasterInput, maxWidth: number, into?: Raster): Raster {
  const layers = input.rows.length;
  const width = rasterWidth(input.columns, maxWidth);
  const height = Math.max(1, layers);
  const raster = into && into.width === width && into.height === height ? into : { width, height, data: new Uint8ClampedArray(width * height * 4) };
  const { data } = raster;
  const size = input.lut.length / 4;
  const span = input.hi - input.lo;
  const scale = span > 0 ? (size - 1) / span : 0;
  const mix = input.staleMix ?? 0.55;
  const [er, eg, eb, ea] = input.empty;
  for (let l = 0; l < layers; l++) {
    const row = input.rows[l];
    const stale = input.stale?.[l];
    let o = (layers - 1 - l) * width * 4; // input side at the bottom
    for (let px = 0; px < width; px++, o += 4) {
      const c0 = bucketStart(px, input.columns, width);
      const c1 = Math.max(c0 + 1, bucketStart(px + 1, input.columns, width));
      let v = Infinity;
      for (let c = c0; c < c1; c++) {
        const x = row[c];
        if (x !== null && x !== undefined && x < v) v = x;
      }
      let fresh = true;
      if (v === Infinity && stale) {
        fresh = false;
        for (let c = c0; c < c1; c++) {
          const x = stale[c];
          if (x !== null && x !== undefined && x < v) v = x;
        }
      }
      if (v === Infinity || Number.isNaN(v)) {
        data[o] = er;
        data[o + 1] = eg;
        data[o + 2] = eb;
        data[o + 3] = ea;
        continue;
      }
      const i = 4 * Math.max(0, Math.min(size - 1, Math.round((v - input.lo) * scale)));
      if (fresh) {
        data[o] = input.lut[i];
        data[o + 1] = input.lut[i + 1];
        data[o + 2] = input.lut[i + 2];
        data[o + 3] = 255;
      } else {
        data[o] = input.lut[i] * mix + er * (1 - mix);
        data[o + 1] = input.lut[i + 1] * mix + eg * (1 - mix);
        data[o + 2] = input.lut[i + 2] * mix + eb * (1 - mix);
        data[o + 3] = 255;
      }
    }
  }
  return raster;
}
