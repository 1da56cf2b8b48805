/** Chance baseline: the same metric on seeded random layers of the same shapes. */
import { AnalysisError } from './errors';
import { gaussianMatrix, Rng } from '../random';
import { compare } from './compare';
import { similarity } from './similarity';
import { prepareSketch, sketchActivations } from './sketch';
import type { Metric, SimilarityOptions } from './types';

/** Default number of random pairs. */
export const DEFAULT_CHANCE_SAMPLES = 5;

/**
 * Mean and sample SD of `metric` between independent Gaussian layers (unitsA × examples, unitsB × examples), reproducible
 * from `seed`; with `sketch`, between their K-direction sketches (what a sketched layer's cells are).
 */
export function chanceBaseline(
  unitsA: number,
  unitsB: number,
  examples: number,
  metric: Metric,
  opts: SimilarityOptions | undefined,
  seed: number,
  samples = DEFAULT_CHANCE_SAMPLES,
  sketch?: number,
): { mean: number; sd: number; samples: number } {
  if (!Number.isInteger(samples) || samples < 1) {
    throw new AnalysisError('BAD_OPTION', `samples must be a positive integer, got ${samples}`);
  }
  if (!Number.isInteger(seed)) throw new AnalysisError('BAD_OPTION', `seed must be an integer, got ${seed}`);
  const rng = new Rng(seed);
  const values: number[] = [];
  for (let s = 0; s < samples; s++) {
    const a = { data: gaussianMatrix(rng, unitsA, examples), units: unitsA, examples };
    const b = { data: gaussianMatrix(rng, unitsB, examples), units: unitsB, examples };
    values.push(
      sketch
        ? compare(prepareSketch(sketchActivations(a, sketch)), prepareSketch(sketchActivations(b, sketch)), metric, opts).value
        : similarity(a, b, metric, opts).value,
    );
  }
  const mean = values.reduce((x, y) => x + y, 0) / samples;
  const varSum = values.reduce((x, y) => x + (y - mean) ** 2, 0);
  return { mean, sd: samples > 1 ? Math.sqrt(varSum / (samples - 1)) : 0, samples };
}
