/** Token checks in constant time; tokens are never logged or echoed. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** True when `given` equals `expected`, comparing SHA-256 digests in constant time (no length leak). */
export function tokensEqual(given: string | undefined | null, expected: string): boolean {
  if (typeof given !== 'string') return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
