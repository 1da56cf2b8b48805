/** Seeded pseudo-random numbers (no global state): uniform and standard normal draws. */

/** A seeded generator: `uniform()` in [0, 1), `normal()` standard normal. */
export interface Rng {
  uniform(): number;
  normal(): number;
}

/** SplitMix32-style generator seeded by any 32-bit integer; Box–Muller normals. */
export function seededRng(seed: number): Rng {
  let state = seed >>> 0;
  let spare: number | undefined;
  const uniform = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    z = (z ^ (z >>> 16)) >>> 0;
    return z / 4294967296;
  };
  const normal = (): number => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u)), t = 2 * Math.PI * uniform();
    spare = r * Math.sin(t);
    return r * Math.cos(t);
  };
  return { uniform, normal };
}

/** A units × examples matrix of iid standard normals. */
export function gaussianMatrix(rng: Rng, units: number, examples: number): Float64Array {
  const out = new Float64Array(units * examples);
  for (let i = 0; i < out.length; i++) out[i] = rng.normal();
  return out;
}
