/**
 * Synthetic probe images for the simulator: small seeded RGB thumbnails whose pixels show the concepts each example
 * carries (lib/sim/concepts.ts), so a planted detector's top examples visibly share a pattern: colours tint the image,
 * stripes and dots are textures, wheel, eye, car and face are simple shapes.
 */
import { Rng, deriveSeed } from '../random';
import type { ConceptPlan } from './concepts';

export const SIM_IMAGE_SIZE = { h: 8, w: 8, channels: 3 } as const;

type Painter = (y: number, x: number, px: [number, number, number]) => void;
const mix = (px: [number, number, number], rgb: [number, number, number], a: number) => {
  for (let k = 0; k < 3; k++) px[k] = px[k] * (1 - a) + rgb[k] * a;
};

/** One painter per SIM_CONCEPTS entry, in its order (red, green, blue, stripes, dots, wheel, eye, car, face). */
const PAINTERS: Painter[] = [
  (_y, _x, px) => mix(px, [1, 0.1, 0.1], 0.55),
  (_y, _x, px) => mix(px, [0.1, 0.9, 0.2], 0.55),
  (_y, _x, px) => mix(px, [0.15, 0.3, 1], 0.55),
  (y, _x, px) => y % 2 === 0 && mix(px, [1, 1, 1], 0.6),
  (y, x, px) => y % 3 === 1 && x % 3 === 1 && mix(px, [0, 0, 0], 0.8),
  (y, x, px) => Math.abs(Math.hypot(y - 5.5, x - 1.5) - 1.5) < 0.6 && mix(px, [0.05, 0.05, 0.05], 0.85),
  (y, x, px) => y === 2 && (x === 2 || x === 5) && mix(px, [1, 1, 1], 0.9),
  (y, x, px) => y >= 5 && y <= 6 && x >= 1 && x <= 6 && mix(px, [0.9, 0.8, 0.1], 0.8),
  (y, x, px) => Math.hypot(y - 3.5, x - 3.5) < 2.6 && mix(px, [1, 0.8, 0.65], 0.6),
];

/** The probe images, [examples, 8, 8, 3] row-major with values in [0, 1], seeded by the plan's seed. */
export function simImages(plan: ConceptPlan, seed: number): Float32Array {
  const { h, w, channels } = SIM_IMAGE_SIZE;
  const rng = new Rng(deriveSeed(seed, 11));
  const out = new Float32Array(plan.conceptLabels.length * h * w * channels);
  const px: [number, number, number] = [0, 0, 0];
  plan.conceptLabels.forEach((shown, e) => {
    const base = 0.35 + 0.2 * rng.next();
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const grain = 0.1 * (rng.next() - 0.5);
        px[0] = px[1] = px[2] = base + grain;
        for (const c of shown) PAINTERS[c]?.(y, x, px);
        const at = ((e * h + y) * w + x) * channels;
        for (let k = 0; k < channels; k++) out[at + k] = Math.min(1, Math.max(0, px[k]));
      }
    }
  });
  return out;
}
