/**
 * Class sensitivity of a layer (SVCCA paper §4.3): CCA between the layer's kept SVD directions (the 99% rule) and a
 * one-dimensional target — the class's logit when sent, else its 0/1 indicator. With one target the single canonical
 * correlation is the multiple correlation R of a least-squares fit of the target on [1, directions].
 * R is biased upward when few examples support many directions: for a random target E[R²] ≈ k / (m − 1).
 */
import { prepare, slim } from '../prepare';
import { DEFAULT_THRESHOLD } from '../options';
import type { Real } from './types';

/**
 * R of the fit of `y` on [1, Q] where Q's `d` rows (each of length m) are orthonormal and centred: R² = Σ_i ⟨q_i, y − ȳ⟩² / ‖y − ȳ‖².
 * NaN for a constant target.
 */
export function multipleCorrelation(basis: Real, d: number, m: number, y: ArrayLike<number>): number {
  let mean = 0;
  for (let j = 0; j < m; j++) mean += y[j];
  mean /= m;
  let ss = 0;
  for (let j = 0; j < m; j++) ss += (y[j] - mean) ** 2;
  if (!(ss > 1e-12 * m)) return NaN;
  let explained = 0;
  for (let i = 0; i < d; i++) {
    let dot = 0;
    const o = i * m;
    for (let j = 0; j < m; j++) dot += basis[o + j] * (y[j] - mean);
    explained += dot * dot;
  }
  return Math.sqrt(Math.min(1, Math.max(0, explained / ss)));
}

/** Targets of the class sensitivity: one row per class (a logit over the examples) or 0/1 indicators built from labels. */
export type SensitivityTargets = { kind: 'logits'; data: Real; classes: number } | { kind: 'indicator'; labels: ArrayLike<number>; classes: number };

/** The layer's kept directions (d × m, orthonormal, centred) under the SVCCA 99% rule; throws what `prepare` throws. */
export function keptDirections(data: Real, units: number, examples: number, threshold = DEFAULT_THRESHOLD): { basis: Real; k: number } {
  const layer = slim(prepare({ data, units, examples }), 'svcca', { threshold });
  return { basis: layer.rows, k: layer.rowCount };
}

/** R per class (NaN for a class whose target is constant, e.g. no examples) given the kept directions. */
export function classSensitivity(basis: Real, k: number, examples: number, targets: SensitivityTargets): Float64Array {
  const out = new Float64Array(targets.classes);
  const y = new Float64Array(examples);
  for (let c = 0; c < targets.classes; c++) {
    if (targets.kind === 'logits') {
      for (let j = 0; j < examples; j++) y[j] = targets.data[c * examples + j];
    } else {
      for (let j = 0; j < examples; j++) y[j] = targets.labels[j] === c ? 1 : 0;
    }
    out[c] = multipleCorrelation(basis, k, examples, y);
  }
  return out;
}
