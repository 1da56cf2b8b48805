/** Input validation and two-pass centring of each neuron over the datapoints. */
import { AnalysisError } from './errors';
import { kernel } from './kernel';
import type { Activations } from './types';

/** Neurons whose variance is below this fraction of the layer's largest are dead (DESIGN.md). */
export const DEAD_NEURON_RATIO = 1e-10;
/** Eigenvalues at or below this fraction of the largest are numerically zero (DESIGN.md, PWCCA). */
export const RANK_RATIO = 1e-12;

/** Throws EMPTY_INPUT, SHAPE_MISMATCH or TOO_FEW_EXAMPLES (fewer than 2 datapoints) for activations no metric can use. */
export function validate(acts: Activations, label = 'layer'): void {
  const { data, units, examples } = acts;
  if (!(data instanceof Float32Array || data instanceof Float64Array)) {
    throw new AnalysisError('SHAPE_MISMATCH', `${label}: data must be a Float32Array or Float64Array`);
  }
  if (!Number.isInteger(units) || !Number.isInteger(examples) || units < 0 || examples < 0) {
    throw new AnalysisError('SHAPE_MISMATCH', `${label}: units and examples must be non-negative integers`);
  }
  if (units === 0 || examples === 0 || data.length === 0) {
    throw new AnalysisError('EMPTY_INPUT', `${label}: no activations (${units} units × ${examples} examples)`);
  }
  if (data.length !== units * examples) {
    throw new AnalysisError('SHAPE_MISMATCH', `${label}: ${data.length} values for ${units} units × ${examples} examples`);
  }
  // More neurons than datapoints is fine: every route works on the smaller side (rank ≤ m − 1 after centring).
  if (examples < 2) throw new AnalysisError('TOO_FEW_EXAMPLES', `${label}: ${examples} datapoint for ${units} neurons; need at least 2`);
}

/**
 * Centred copy of the activations (computed in float64; stored as float32 only when the input is and `keepPrecision`) and
 * each neuron's sum of squares; `into` (float64, units × examples) receives the copy instead of a fresh array.
 */
export function centre(
  acts: Activations,
  label = 'layer',
  keepPrecision = true,
  into?: Float64Array,
): { rows: Float32Array | Float64Array; sumsq: Float64Array } {
  validate(acts, label);
  const { data, units, examples: m } = acts;
  const rows = into ?? (data instanceof Float32Array && keepPrecision ? new Float32Array(data.length) : new Float64Array(data.length));
  const sumsq = new Float64Array(units);
  const bad = kernel().centre(data, units, m, rows, sumsq);
  if (bad >= 0) throw new AnalysisError('NON_FINITE', `${label}: neuron ${bad} has a NaN or infinite activation`);
  return { rows, sumsq };
}

/** Indices of neurons whose variance is at least DEAD_NEURON_RATIO × the largest (none when all are constant). */
export function liveNeurons(sumsq: Float64Array): Int32Array {
  let max = 0;
  for (const v of sumsq) if (v > max) max = v;
  if (max === 0) return new Int32Array(0);
  const kept: number[] = [];
  for (let u = 0; u < sumsq.length; u++) if (sumsq[u] >= DEAD_NEURON_RATIO * max) kept.push(u);
  return Int32Array.from(kept);
}
