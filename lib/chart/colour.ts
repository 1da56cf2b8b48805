/** Colour maps: viridis/cividis for similarity (perceptually uniform, colour-blind safe) and an Okabe–Ito palette for layers. */
import { color, interpolateCividis, interpolatePlasma, interpolateViridis } from 'd3';

export type Ramp = 'viridis' | 'cividis';

/** The interpolator of a sequential ramp, t in [0, 1]. */
export function rampInterpolator(ramp: Ramp): (t: number) => string {
  switch (ramp) {
    case 'viridis':
      return interpolateViridis;
    case 'cividis':
      return interpolateCividis;
    default: {
      const _exhaustive: never = ramp;
      return _exhaustive;
    }
  }
}

/** A lookup table of `size` RGBA entries sampled along the ramp, for filling pixels without string parsing. */
export function rampLut(ramp: Ramp, size = 256): Uint8ClampedArray {
  const interp = rampInterpolator(ramp);
  const lut = new Uint8ClampedArray(size * 4);
  for (let i = 0; i < size; i++) {
    const c = color(interp(size === 1 ? 0 : i / (size - 1)))!.rgb();
    lut.set([c.r, c.g, c.b, 255], i * 4);
  }
  return lut;
}

/** LUT entry index of a value on [lo, hi] (clamped). */
export function lutIndex(value: number, lo: number, hi: number, size: number): number {
  const t = hi > lo ? (value - lo) / (hi - lo) : 0;
  return Math.max(0, Math.min(size - 1, Math.round(t * (size - 1))));
}

/** Okabe & Ito (2008): eight colours distinguishable with the common colour-vision deficiencies. */
export const OKABE_ITO = ['#E69F00', '#56B4E9', '#009E73', '#F0E442', '#0072B2', '#D55E00', '#CC79A7', '#999999'] as const;

/** Run colours of the compare view, in order: Okabe–Ito starting with blue and vermillion (runs A and B), yellow last. */
const RUN_ORDER = [4, 5, 2, 6, 0, 1, 7, 3] as const;

/** The colour of the i-th compared run (eight distinct ones; the compare view takes at most eight runs). */
export function runColour(i: number): string {
  return OKABE_ITO[RUN_ORDER[((i % RUN_ORDER.length) + RUN_ORDER.length) % RUN_ORDER.length]];
}

/** The colour of layer i of n, the same in every chart: Okabe–Ito up to eight layers, else a plasma ramp by depth. */
export function layerColour(i: number, n: number): string {
  if (n <= OKABE_ITO.length) return OKABE_ITO[i % OKABE_ITO.length];
  return interpolatePlasma(0.05 + 0.85 * (n === 1 ? 0 : i / (n - 1)));
}

/** Parses a CSS colour to RGBA bytes (falls back to mid grey). */
export function rgbaBytes(css: string, alpha = 255): [number, number, number, number] {
  const c = color(css)?.rgb();
  return c ? [Math.round(c.r), Math.round(c.g), Math.round(c.b), alpha] : [128, 128, 128, alpha];
}

/** WCAG relative luminance of a CSS colour. */
export function luminance(css: string): number {
  const [r, g, b] = rgbaBytes(css).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Black or white, whichever contrasts more with the background (WCAG contrast ratio). */
export function readableOn(background: string): '#000' | '#fff' {
  const l = luminance(background);
  return (l + 0.05) / 0.05 >= 1.05 / (l + 0.05) ? '#000' : '#fff';
}
