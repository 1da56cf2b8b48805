/** Seeded pseudo-random numbers (no Math.random anywhere in lib/): reproducible tests, simulations and baselines. */

/** A 32-bit seeded generator (mulberry32) with uniform and standard-normal draws. */
export class Rng {
  private state: number;
  private spare: number | null = null;

  constructor(seed: number) {
    // Mix the seed once (splitmix-style) so nearby seeds give unrelated streams.
    let s = (seed ^ 0x9e3779b9) >>> 0;
    s = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    s = Math.imul(s ^ (s >>> 13), 0xc2b2ae35) >>> 0;
    this.state = (s ^ (s >>> 16)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller, caching the second draw). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fills `out` with standard normals scaled by `scale`. */
  fillNormal(out: Float32Array | Float64Array, scale = 1): typeof out {
    for (let i = 0; i < out.length; i++) out[i] = this.normal() * scale;
    return out;
  }
}

/** Derives a child seed from a parent seed and integer labels (layer, checkpoint, ...). */
export function deriveSeed(seed: number, ...labels: number[]): number {
  let h = seed >>> 0;
  for (const l of labels) {
    h = Math.imul(h ^ (l + 0x7f4a7c15), 0x2c1b3c6d) >>> 0;
    h = (h ^ (h >>> 15)) >>> 0;
  }
  return h;
}

/** A units × examples matrix of iid standard normals. */
export function gaussianMatrix(rng: Rng, units: number, examples: number): Float64Array {
  const out = new Float64Array(units * examples);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}
