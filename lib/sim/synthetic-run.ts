/** A seeded synthetic training run whose layers converge bottom-up (lower layers settle earlier), as in the SVCCA paper. */
import { Rng, deriveSeed } from '../random';

export interface SimOptions {
  layers: number;
  units: number;
  examples: number;
  checkpoints: number;
  seed: number;
  classes?: number;
  /** Seed of the probe set (its labels): runs with different `seed` but the same probe seed share one probe set, as two training seeds would. */
  probeSeed?: number;
  /** Training steps between checkpoints. */
  stepsPerCheckpoint?: number;
}

export interface SimLayer {
  name: string;
  units: number;
  kind: 'dense' | 'logits';
  /** Training progress in [0, 1] at which the layer stops changing (planted truth). */
  settle: number;
}

export interface SimPlan {
  options: Required<SimOptions>;
  layers: SimLayer[];
  labels: number[];
  classNames: string[];
  steps: number[];
}

const LATENT = 12;
const FLOOR_NOISE = 0.05;

/** The run's structure: layers, labels, steps and each layer's planted settling point. */
export function planRun(options: SimOptions): SimPlan {
  const o: Required<SimOptions> = { classes: 10, stepsPerCheckpoint: 100, probeSeed: 0, ...options };
  if (o.layers < 1 || o.units < 1 || o.examples < 2 || o.checkpoints < 1) throw new Error('simulate: layers, units, checkpoints ≥ 1 and examples ≥ 2');
  const rng = new Rng(deriveSeed(o.probeSeed, 1));
  const labels = Array.from({ length: o.examples }, (_, i) => (i < o.classes ? i : rng.int(o.classes)));
  const layers: SimLayer[] = [];
  for (let l = 0; l < o.layers; l++) {
    // Bottom-up: the first layer settles at 15% of training, the last at 75%.
    const settle = o.layers === 1 ? 0.4 : 0.15 + (0.6 * l) / (o.layers - 1);
    layers.push({ name: `layer${l + 1}`, units: o.units, kind: 'dense', settle });
  }
  layers.push({ name: 'logits', units: o.classes, kind: 'logits', settle: 0.85 });
  const steps = Array.from({ length: o.checkpoints }, (_, i) => (i + 1) * o.stepsPerCheckpoint);
  return { options: o, layers, labels, classNames: Array.from({ length: o.classes }, (_, c) => `class ${c}`), steps };
}

/** Training progress in [0, 1] of checkpoint `index`. */
export function progressAt(plan: SimPlan, index: number): number {
  return plan.options.checkpoints === 1 ? 1 : index / (plan.options.checkpoints - 1);
}

/** How far a layer still is from its final state at a given progress (planted, monotone, floor > 0). */
export function noiseLevel(layer: SimLayer, progress: number): number {
  const left = Math.max(0, 1 - progress / layer.settle);
  return 2.5 * left ** 1.5 + FLOOR_NOISE;
}

/** The layer's final representation: class-structured low-rank signal plus fixed unit noise, units × examples. */
export function finalState(plan: SimPlan, layerIndex: number): Float32Array {
  const { examples, classes, seed } = plan.options;
  const layer = plan.layers[layerIndex];
  const rng = new Rng(deriveSeed(seed, 2, layerIndex));
  const classMeans = rng.fillNormal(new Float64Array(classes * LATENT));
  const latent = new Float64Array(LATENT * examples);
  const exRng = new Rng(deriveSeed(seed, 3));
  for (let j = 0; j < examples; j++) {
    const c = plan.labels[j];
    for (let r = 0; r < LATENT; r++) latent[r * examples + j] = classMeans[c * LATENT + r] + 0.5 * exRng.normal();
  }
  const out = new Float32Array(layer.units * examples);
  const w = new Float64Array(LATENT);
  for (let u = 0; u < layer.units; u++) {
    rng.fillNormal(w, 1 / Math.sqrt(LATENT));
    const row = u * examples;
    for (let j = 0; j < examples; j++) {
      let s = 0;
      for (let r = 0; r < LATENT; r++) s += w[r] * latent[r * examples + j];
      out[row + j] = s + 0.3 * rng.normal();
    }
  }
  return out;
}

/** Activations of layer `layerIndex` at checkpoint `index`: final state plus shrinking, fresh noise. */
export function activationsAt(plan: SimPlan, layerIndex: number, index: number, final = finalState(plan, layerIndex)): Float32Array {
  const level = noiseLevel(plan.layers[layerIndex], progressAt(plan, index));
  const rng = new Rng(deriveSeed(plan.options.seed, 4, layerIndex, index));
  const out = new Float32Array(final.length);
  for (let i = 0; i < out.length; i++) out[i] = final[i] + level * rng.normal();
  return out;
}

/** Loss, accuracy and learning rate at a (fractional) progress, with seeded jitter. */
export function scalarsAt(plan: SimPlan, progress: number, jitterIndex: number): Record<string, number> {
  const rng = new Rng(deriveSeed(plan.options.seed, 5, jitterIndex));
  const loss = 2.3 * Math.exp(-4 * progress) + 0.08 + 0.03 * Math.abs(rng.normal()) * Math.exp(-progress);
  const accuracy = Math.min(1, 1 - 0.9 * Math.exp(-4.5 * progress) + 0.01 * rng.normal());
  return { loss, accuracy, lr: 1e-3 * (progress < 0.7 ? 1 : 0.1) };
}
