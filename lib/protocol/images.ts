/**
 * Probe images on /ingest: after a probe that declares `imageSize`, a trainer may send the probe examples' pixels as
 * binary frames of kind "images" outside any checkpoint, layer `__images__` (examples from 0) or
 * `__images__@<first example>` for a chunk, shape [examples in the chunk, h, w, channels], float32 values in [0, 1].
 */
import { z } from 'zod';

/** Largest thumbnail side the server accepts (clients downsample larger images). */
export const MAX_IMAGE_SIDE = 256;

export const ImageSize = z.strictObject({
  h: z.number().int().min(1).max(MAX_IMAGE_SIDE),
  w: z.number().int().min(1).max(MAX_IMAGE_SIDE),
  channels: z.union([z.literal(1), z.literal(3)]),
});
export type ImageSize = z.infer<typeof ImageSize>;

/** Layer name of an images frame: `__images__` or `__images__@<first example>` for one chunk. */
export const IMAGES_LAYER = /^__images__(?:@(\d{1,9}))?$/;

/** First example an images frame's layer name covers, or null when the name is not an images name. */
export function imagesFirstExample(layer: string): number | null {
  const m = IMAGES_LAYER.exec(layer);
  return m ? Number(m[1] ?? 0) : null;
}

/** Pixels of one example as bytes: round(x · 255) of each value, clamped to 0..255, row-major h × w × channels. */
export function imageBytes(values: Float32Array): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(values[i] * 255)));
  return out;
}
