/**
 * Planted concept structure for the simulator: image-level concept labels on the probe set, and units of the hidden
 * layers that become detectors of a known concept at a known checkpoint (lower layers colours and textures, higher
 * layers parts and objects); the first unit of a layer switches to another concept of its category when there is room.
 * Everything happens before the layer's planted settling point, so a settled layer stops changing as before.
 * Tests compare what the server finds with `plantedConcept`.
 */
import { Rng, deriveSeed } from '../random';
import type { SimPlan } from './synthetic-run';

/** The simulator's concepts, by category. */
export const SIM_CONCEPTS = [
  { name: 'red', category: 'colour' },
  { name: 'green', category: 'colour' },
  { name: 'blue', category: 'colour' },
  { name: 'stripes', category: 'texture' },
  { name: 'dots', category: 'texture' },
  { name: 'wheel', category: 'part' },
  { name: 'eye', category: 'part' },
  { name: 'car', category: 'object' },
  { name: 'face', category: 'object' },
] as const;

/** One planted detector: `layer` indexes plan.layers, `emerge` and `switchTo.at` are checkpoint indices. */
export interface PlantedDetector {
  layer: number;
  unit: number;
  concept: number;
  emerge: number;
  switchTo?: { concept: number; at: number };
}

export interface ConceptPlan {
  concepts: Array<{ name: string; category: string }>;
  /** Per probe example, the concepts it shows (each with probability 0.15, independent of the class). */
  conceptLabels: number[][];
  detectors: PlantedDetector[];
}

/**
 * Each concept is on ≈15% of the examples: at the image-level default quantile (1%) a random unit then needs 4 of its
 * 5 top examples (of 500) to show a concept to pass IoU 0.04 (p ≈ 0.2% per concept), while a planted unit scores ≈ 0.067.
 */
const PREVALENCE = 0.15;

/** Added to a planted unit on the examples showing its concept: far above the unit's spread, so its top examples show it. */
const STRENGTH = 8;

/** Plans labels and detectors for a run (seeded; independent of the rest of the plan's random streams). */
export function planConcepts(plan: SimPlan): ConceptPlan {
  const { examples, seed, checkpoints } = plan.options;
  const rng = new Rng(deriveSeed(seed, 10));
  const concepts = SIM_CONCEPTS.map((c) => ({ ...c }));
  const conceptLabels = Array.from({ length: examples }, () => concepts.flatMap((_, c) => (rng.next() < PREVALENCE ? [c] : [])));
  const hidden = plan.layers.map((l, i) => ({ l, i })).filter((x) => x.l.kind === 'dense');
  const detectors: PlantedDetector[] = [];
  hidden.forEach(({ l, i }, h) => {
    const depth = hidden.length === 1 ? 0.5 : h / (hidden.length - 1);
    // Lower layers detect colours and textures, higher ones parts and objects.
    const pool = depth < 0.5 ? [0, 1, 2, 3, 4] : [3, 4, 5, 6, 7, 8];
    const count = Math.min(pool.length, Math.max(1, Math.floor(l.units / 8)));
    const units = new Set<number>();
    for (let k = 0; k < count; k++) {
      let u = rng.int(l.units);
      while (units.has(u)) u = (u + 1) % l.units;
      units.add(u);
      const settled = l.settle * (checkpoints - 1);
      const emerge = Math.max(1, Math.ceil((0.25 + 0.4 * rng.next()) * settled));
      const d: PlantedDetector = { layer: i, unit: u, concept: pool[k], emerge };
      const at = Math.floor(0.95 * settled);
      if (k === 0 && at >= emerge + 2) {
        const same = concepts.map((c, j) => ({ c, j })).filter((x) => x.c.category === concepts[d.concept].category && x.j !== d.concept);
        if (same.length) d.switchTo = { concept: same[rng.int(same.length)].j, at };
      }
      if (emerge < checkpoints) detectors.push(d);
    }
  });
  return { concepts, conceptLabels, detectors };
}

/** The concept a planted unit detects at checkpoint `index` (−1: none yet, or not a planted unit). */
export function plantedConcept(cp: ConceptPlan, layer: number, unit: number, index: number): number {
  const d = cp.detectors.find((x) => x.layer === layer && x.unit === unit);
  if (!d || index < d.emerge) return -1;
  return d.switchTo && index >= d.switchTo.at ? d.switchTo.concept : d.concept;
}

/** Adds the planted signal to layer `layer`'s activations (units × examples) at checkpoint `index`, in place. */
export function addConceptSignal(cp: ConceptPlan, layer: number, index: number, acts: Float32Array, examples: number): void {
  for (const d of cp.detectors) {
    if (d.layer !== layer) continue;
    const c = plantedConcept(cp, layer, d.unit, index);
    if (c < 0) continue;
    const row = d.unit * examples;
    for (let j = 0; j < examples; j++) if (cp.conceptLabels[j].includes(c)) acts[row + j] += STRENGTH;
  }
}
