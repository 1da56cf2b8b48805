/**
 * Grad-CAM maps over training (Selvaraju et al. 2017). On /ingest: after a checkpoint, a binary frame of kind "gradcam"
 * for the same step, layer `__gradcam__:<conv layer>`, shape [examples, targets, h, w] (non-negative float32 maps at the
 * conv layer's resolution), with header fields `examples` (the probe indices, one per row) and `classes` (examples ×
 * targets class indices, row-major: which class each map explains). On /live: the `gradcam` request returns one step's
 * maps with the examples' images, and `{kind: "gradcam", step}` deltas say that a step's maps were stored.
 */
import { z } from 'zod';
import { MAX_IMAGE_SIDE } from './images';

/** Most probe examples and classes per example one Grad-CAM frame may carry. */
export const MAX_GRADCAM_EXAMPLES = 64;
export const MAX_GRADCAM_TARGETS = 4;
/** Largest map side accepted (maps are at a conv layer's resolution, far smaller in practice). */
export const MAX_GRADCAM_SIDE = 256;
/**
 * Most values one Grad-CAM frame may carry (n × targets × h × w; 4 MiB of float32): 16 examples × 2 classes at
 * 128 × 128 fit, while the per-dimension bounds alone would let one frame reach 64 MiB and a `gradcam` answer ~90 MB.
 */
export const MAX_GRADCAM_VALUES = 2 ** 20;

/** Layer name of a Grad-CAM frame: `__gradcam__:<the conv layer the maps come from>`. */
export const GRADCAM_LAYER = /^__gradcam__:(.{1,180})$/;

/** The conv layer a Grad-CAM frame's layer name names, or null when it is not a Grad-CAM name. */
export function gradcamSource(layer: string): string | null {
  const m = GRADCAM_LAYER.exec(layer);
  return m ? m[1] : null;
}

/** Params of the `gradcam` request: the maps at the newest stored step at or before `step` (the newest without it). */
export const GradcamParams = z.object({ step: z.number().int().min(0).optional() });
export type GradcamParams = z.infer<typeof GradcamParams>;

/** One example of a Grad-CAM answer. */
export const GradcamExample = z.object({
  example: z.number().int().min(0),
  /** Class per map (targets of the frame: the true class, then the predicted one, as the Python client sends them). */
  classes: z.array(z.number().int().min(0)),
  /** The example's probe label, when the probe has labels. */
  label: z.number().int().optional(),
  /** Per map: base64 of h·w bytes, round(255 · value / the map's maximum) (all 0 for an all-zero map). */
  maps: z.array(z.string()),
  /** Per map: its maximum before scaling (0 when the class has no positive evidence at this layer). */
  peaks: z.array(z.number()),
  /** Base64 of the probe image's bytes (imageSize), when the run sent probe images. */
  pixels: z.string().optional(),
});
export type GradcamExample = z.infer<typeof GradcamExample>;

/** Answer to `gradcam`. */
export const GradcamView = z.object({
  /** The conv layer the maps come from. */
  layer: z.string(),
  /** Every step that has maps, ascending. */
  steps: z.array(z.number()),
  /** The step shown (null: the run has no maps at or before the requested step). */
  step: z.number().nullable(),
  h: z.number().int().min(1).max(MAX_GRADCAM_SIDE),
  w: z.number().int().min(1).max(MAX_GRADCAM_SIDE),
  targets: z.number().int().min(1).max(MAX_GRADCAM_TARGETS),
  classNames: z.array(z.string()),
  examples: z.array(GradcamExample),
  imageSize: z
    .object({ h: z.number().int().min(1).max(MAX_IMAGE_SIDE), w: z.number().int().min(1).max(MAX_IMAGE_SIDE), channels: z.union([z.literal(1), z.literal(3)]) })
    .optional(),
});
export type GradcamView = z.infer<typeof GradcamView>;
