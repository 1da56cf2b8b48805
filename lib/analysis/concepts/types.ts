/** Shapes shared by the concept statistics. */

/** A typed array of activations or values. */
export type Real = Float32Array | Float64Array;

/** Per-example concept masks packed as bitsets: mask (example j, concept c) is `words` 32-bit words at (j × concepts + c) × words. */
export interface PackedMasks {
  examples: number;
  concepts: number;
  h: number;
  w: number;
  words: number;
  bits: Uint32Array;
  /** Pixels set per example × concept. */
  counts: Uint32Array;
}

/** Streaming IoU tallies (Network Dissection): memory O(units × concepts), whatever the number of examples and positions. */
export interface ConceptTally {
  units: number;
  concepts: number;
  /** Positions counted: examples × positions (image-level), or examples × mask pixels. */
  total: number;
  /** Pixels (or examples) where each unit is on. */
  act: Float64Array;
  /** Pixels (or examples) labelled with each concept. */
  gt: Float64Array;
  /** units × concepts: pixels where the unit is on and the concept is present. */
  inter: Float64Array;
}
