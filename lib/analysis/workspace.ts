/**
 * A reusable float64 scratch array for the transient centred copy of a layer that only its own preparation reads
 * (top-k directions, sketches). A fresh 80 MB array (2,048 × 5,000) costs more in first-touch page faults than
 * centring it does (docs/performance.md, "Real model widths"); reusing one per thread does not. Callers must not let
 * the array escape the synchronous call that asked for it.
 */
let scratch = new Float64Array(0);

/** A float64 array of `length` values whose contents are undefined; valid until the next call on this thread. */
export function scratchFloat64(length: number): Float64Array {
  if (scratch.length < length) scratch = new Float64Array(length);
  return scratch.subarray(0, length);
}
