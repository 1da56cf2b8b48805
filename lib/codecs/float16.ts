/**
 * IEEE 754 binary16 (half precision) ⇄ float32, round to nearest even: the opt-in store for raw activations
 * (docs/storage.md, "float16 store"). Pure TypeScript; the server's native addon has a faster twin with the same bits.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits nearest to x (ties to even); ±Inf beyond 65504, NaN stays NaN. */
export function toHalf(x: number): number {
  f32[0] = x;
  const b = u32[0];
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // Inf or NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let h = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    if (rest > half || (rest === half && h & 1)) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && h & 1)) h++; // may carry into the exponent: still correct (up to Inf)
  return sign | h;
}

/** The float32 value of binary16 bits h (exact). */
export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/**
 * The power of two that maps a frame's largest magnitude to at most 2¹⁵, so nothing overflows and small layers keep
 * their 11 significant bits (values are stored as x / scale). 1 when the largest magnitude is 0.
 */
export function halfScale(data: Float32Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const a = Math.abs(data[i]);
    if (a > max) max = a;
  }
  if (!(max > 0)) return 1;
  return 2 ** (Math.ceil(Math.log2(max)) - 15);
}

/** Encodes data / scale as binary16 into out (same length). */
export function encodeHalf(data: Float32Array, scale: number, out: Uint16Array): void {
  const inv = 1 / scale; // exact: scale is a power of two
  for (let i = 0; i < data.length; i++) out[i] = toHalf(data[i] * inv);
}

/** Decodes binary16 values times scale into out (same length); a table makes it one lookup per value. */
export function decodeHalf(src: Uint16Array, scale: number, out: Float32Array): void {
  const table = halfTable();
  if (scale === 1) for (let i = 0; i < src.length; i++) out[i] = table[src[i]];
  else for (let i = 0; i < src.length; i++) out[i] = table[src[i]] * scale;
}

let table: Float32Array | null = null;

function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalf(h);
  }
  return table;
}
