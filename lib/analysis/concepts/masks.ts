/** Concept masks as bitsets, and bilinear upsampling of activation maps to the mask resolution (pixel centres aligned, as PIL/NetDissect-Lite and align_corners=False). */
import type { PackedMasks, Real } from './types';

/** Empty packed masks for `examples` × `concepts` masks of h × w pixels. */
export function createMasks(examples: number, concepts: number, h: number, w: number): PackedMasks {
  const words = Math.ceil((h * w) / 32);
  return { examples, concepts, h, w, words, bits: new Uint32Array(examples * concepts * words), counts: new Uint32Array(examples * concepts) };
}

/** Packs `count` examples of [count, concepts, h, w] 0/1 values (non-zero = set) starting at example `first`. */
export function packMasksInto(masks: PackedMasks, first: number, values: ArrayLike<number>, count: number): void {
  const { concepts, h, w, words } = masks;
  const px = h * w;
  if (first < 0 || first + count > masks.examples) throw new RangeError(`masks for examples ${first}..${first + count - 1} outside 0..${masks.examples - 1}`);
  if (values.length !== count * concepts * px) throw new RangeError(`${values.length} mask values for ${count} × ${concepts} × ${h} × ${w}`);
  for (let i = 0; i < count * concepts; i++) {
    const slot = first * concepts + i;
    const base = slot * words;
    masks.bits.fill(0, base, base + words);
    let n = 0;
    for (let p = 0; p < px; p++) {
      if (values[i * px + p] !== 0) {
        masks.bits[base + (p >>> 5)] |= 1 << (p & 31);
        n++;
      }
    }
    masks.counts[slot] = n;
  }
}

/** Set bits of a 32-bit word. */
export function popcount(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/** Source indices and weights of a bilinear resize from n to N samples (pixel centres aligned, edges clamped). */
export interface Axis1D {
  i0: Int32Array;
  i1: Int32Array;
  t: Float64Array;
}

/** Plans one axis of a bilinear resize. */
export function bilinearAxis(n: number, N: number): Axis1D {
  const i0 = new Int32Array(N),
    i1 = new Int32Array(N),
    t = new Float64Array(N);
  const scale = n / N;
  for (let k = 0; k < N; k++) {
    const src = Math.min(n - 1, Math.max(0, (k + 0.5) * scale - 0.5));
    const a = Math.floor(src);
    i0[k] = a;
    i1[k] = Math.min(n - 1, a + 1);
    t[k] = src - a;
  }
  return { i0, i1, t };
}

/** A bilinear resize plan from h × w to H × W. */
export interface BilinearPlan {
  h: number;
  w: number;
  H: number;
  W: number;
  ys: Axis1D;
  xs: Axis1D;
}

/** Plans a bilinear resize from h × w to H × W. */
export function bilinearPlan(h: number, w: number, H: number, W: number): BilinearPlan {
  return { h, w, H, W, ys: bilinearAxis(h, H), xs: bilinearAxis(w, W) };
}

const lerp = (a: number, b: number, t: number) => (t === 0 || a === b ? a : a + t * (b - a));

/** Upsamples the h × w map at `src[offset…]` into `out` (H × W); equal neighbours interpolate exactly to their value. */
export function upsampleInto(src: Real, offset: number, plan: BilinearPlan, out: Float64Array): void {
  const { w, H, W, ys, xs } = plan;
  for (let y = 0; y < H; y++) {
    const r0 = offset + ys.i0[y] * w,
      r1 = offset + ys.i1[y] * w,
      ty = ys.t[y];
    for (let x = 0; x < W; x++) {
      const a = xs.i0[x],
        b = xs.i1[x],
        tx = xs.t[x];
      out[y * W + x] = lerp(lerp(src[r0 + a], src[r0 + b], tx), lerp(src[r1 + a], src[r1 + b], tx), ty);
    }
  }
}
