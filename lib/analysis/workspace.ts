/**
 * Reusable scratch memory for transient data that only the synchronous call asking for it reads (a layer's centred
 * copy during its preparation, a stored frame being decoded). A fresh 40–80 MB array per wide layer costs more in
 * first-touch page faults than the work on it (docs/performance.md, "Real model widths"); one per thread, grown as
 * needed, does not. Callers must not let the array escape that call.
 */

/** A getter of `length` elements of one held array (contents undefined), valid until the getter's next call on this thread. */
export function reusable<T extends { length: number; subarray(start: number, end: number): T }>(make: (length: number) => T): (length: number) => T {
  let held = make(0);
  return (length) => {
    if (held.length < length) held = make(length);
    return held.subarray(0, length);
  };
}

/** A float64 scratch array for a layer's centred copy. */
export const scratchFloat64 = reusable((length) => new Float64Array(length));
