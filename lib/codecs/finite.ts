/** Scans float32 data for NaN and ±Inf by exponent bits: a branch-free pass (≈ 2× Number.isFinite per element). */

const EXP = 0x7f800000;
const ONE = 0x00800000;

/** True when every value is finite. (exponent + 1) carries into bit 31 only for an all-ones exponent (NaN, ±Inf). */
export function allFinite32(data: Float32Array): boolean {
  const u = new Uint32Array(data.buffer, data.byteOffset, data.length);
  const n = u.length & ~7;
  let acc = 0;
  let i = 0;
  for (; i < n; i += 8) {
    acc |=
      ((u[i] & EXP) + ONE) |
      ((u[i + 1] & EXP) + ONE) |
      ((u[i + 2] & EXP) + ONE) |
      ((u[i + 3] & EXP) + ONE) |
      ((u[i + 4] & EXP) + ONE) |
      ((u[i + 5] & EXP) + ONE) |
      ((u[i + 6] & EXP) + ONE) |
      ((u[i + 7] & EXP) + ONE);
  }
  for (; i < u.length; i++) acc |= (u[i] & EXP) + ONE;
  return (acc & 0x80000000) === 0;
}

/** Number of NaN and ±Inf values (one fast pass when there are none). */
export function countNonFinite32(data: Float32Array): number {
  if (allFinite32(data)) return 0;
  let bad = 0;
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) bad++;
  return bad;
}
