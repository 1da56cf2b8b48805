/**
 * A Grad-CAM map over its image, as RGBA pixels: the image nearest-neighbour scaled to side × side, the map (bytes scaled
 * to its own peak) upsampled bilinearly with pixel centres aligned (as the concept masks and torch's align_corners=False),
 * coloured by a ramp and blended with opacity proportional to the map's value, so zero evidence leaves the image as it is.
 */
import { bilinearPlan, upsampleInto } from '../analysis/concepts/masks';

export interface OverlayInput {
  side: number;
  /** The image's bytes (h·w·channels, row-major), or null for a grey background. */
  image: Uint8Array | null;
  imageSize: { h: number; w: number; channels: 1 | 3 };
  /** The map's bytes (h·w, 0-255 of its own peak). */
  map: Uint8Array;
  mapSize: { h: number; w: number };
  /** 0 (image only) to 1 (full colour where the map peaks). */
  opacity: number;
  /** RGBA lookup table of 256 entries (lib/chart/colour.ts rampLut). */
  lut: Uint8ClampedArray;
}

/** Decodes base64 to bytes (browser and Node). */
export function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

/** The composited side × side RGBA pixels. */
export function overlayPixels(o: OverlayInput): Uint8ClampedArray {
  const { side, image, imageSize, map, mapSize, opacity, lut } = o;
  const out = new Uint8ClampedArray(side * side * 4);
  const values = Float64Array.from(map, (b) => b / 255);
  const up = new Float64Array(side * side);
  upsampleInto(values, 0, bilinearPlan(mapSize.h, mapSize.w, side, side), up);
  const { h, w, channels } = imageSize;
  for (let y = 0; y < side; y++) {
    const iy = Math.min(h - 1, Math.floor(((y + 0.5) * h) / side));
    for (let x = 0; x < side; x++) {
      const ix = Math.min(w - 1, Math.floor(((x + 0.5) * w) / side));
      const at = (iy * w + ix) * channels;
      const p = (y * side + x) * 4;
      const v = up[y * side + x];
      const a = Math.max(0, Math.min(1, opacity * v));
      const li = Math.round(Math.max(0, Math.min(1, v)) * 255) * 4;
      for (let c = 0; c < 3; c++) {
        const base = image ? image[at + (channels === 3 ? c : 0)] : 128;
        out[p + c] = Math.round((1 - a) * base + a * lut[li + c]);
      }
      out[p + 3] = 255;
    }
  }
  return out;
}
