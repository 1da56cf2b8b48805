/** Every concept statistic of one layer at one checkpoint, from its activations and the probe's labels: what a worker job computes. */
import { Rng } from '../../random';
import { bestConcepts, DETECTOR_IOU, summariseDetectors, type DetectorSummary } from './detectors';
import { scoreConcepts } from './scoring';
import { classSelectivity, meanOverSpace } from './selectivity';
import { classSensitivity, keptDirections, type SensitivityTargets } from './sensitivity';
import { DEFAULT_IMAGE_QUANTILE, defaultQuantile } from './threshold';
import type { ConceptTally, PackedMasks, Real } from './types';

/** The probe's labels as the concept statistics use them. */
export interface ConceptProbe {
  examples: number;
  /** Class per example, or null when the probe has no labels. */
  labels: ArrayLike<number> | null;
  classes: number;
  /** Per example, the concepts it shows (image-level), or null. */
  conceptLabels: ReadonlyArray<ReadonlyArray<number>> | null;
  concepts: number;
  /** Category index of each concept. */
  category: ArrayLike<number>;
  categories: number;
}

/** One layer's activations at one checkpoint: units × examples × positions (positions = h × w for spatial maps, else 1). */
export interface LayerValues {
  data: Real;
  units: number;
  h: number;
  w: number;
}

export interface LayerConceptOptions {
  /** Top quantile; default by layer kind (see threshold.ts). */
  quantile?: number;
  /** Spatial layers: the quantile of the per-example maxima that image-level concepts are scored on (default 0.01). */
  imageQuantile?: number;
  /** Detector IoU threshold (default 0.04). */
  threshold?: number;
  /** Significance a detector's overlap must reach (default DETECTOR_ALPHA). */
  alpha?: number;
  /** Pixel masks at their own resolution; used for spatial layers instead of image-level labels. */
  masks?: PackedMasks | null;
  /** Class logits (classes × examples) at the same checkpoint; indicators are used when absent. */
  logits?: Real | null;
  /** Kept directions for the class sensitivity (computed here when absent; null skips it). */
  directions?: { basis: Real; k: number } | null;
  /** SVCCA variance threshold for the kept directions. */
  svccaThreshold?: number;
}

export interface LayerConceptResult {
  /** How concept IoU was computed: pixel masks, image-level labels (whole-image masks), or not at all (no concepts). */
  mode: 'mask' | 'image' | 'none';
  quantile: number;
  best: Int32Array;
  bestIou: Float64Array;
  selectivity: Float64Array;
  summary: DetectorSummary;
  /** R per class (NaN where undefined); empty without labels. */
  sensitivity: Float64Array;
  /** Directions kept for the sensitivity (null when it could not be computed). */
  k: number | null;
}

/** Computes selectivity, IoU, detectors and class sensitivity of a layer. */
export function analyseLayerConcepts(layer: LayerValues, probe: ConceptProbe, opts: LayerConceptOptions = {}): LayerConceptResult {
  const { units, h, w } = layer;
  const m = probe.examples;
  const positions = h * w;
  if (layer.data.length !== units * m * positions) throw new RangeError(`${layer.data.length} values for ${units} × ${m} × ${h} × ${w}`);
  const pooled = meanOverSpace(layer.data, units, m, positions);
  const quantile = opts.quantile ?? defaultQuantile(positions);
  const threshold = opts.threshold ?? DETECTOR_IOU;

  const selectivity = probe.labels ? classSelectivity(pooled, units, m, probe.labels, probe.classes) : new Float64Array(units).fill(NaN);

  let mode: LayerConceptResult['mode'] = 'none';
  let iou: Float64Array = new Float64Array(units * probe.concepts);
  let tallyOf: ((c: number) => ConceptTally) | undefined;
  const masks = opts.masks && positions > 1 && opts.masks.examples === m && opts.masks.concepts === probe.concepts ? opts.masks : null;
  if (probe.concepts > 0 && (masks || probe.conceptLabels)) {
    const image = positions === 1 ? quantile : (opts.imageQuantile ?? DEFAULT_IMAGE_QUANTILE);
    const scored = scoreConcepts(layer.data, units, m, h, w, probe.concepts, probe.conceptLabels, masks, { pixel: quantile, image });
    ({ iou, tallyOf } = scored);
    mode = scored.pixels ? 'mask' : 'image';
  }
  const { best, iou: bestIou } = bestConcepts(iou, units, probe.concepts, tallyOf, opts.alpha);
  const summary = summariseDetectors(best, bestIou, probe.category, probe.categories, threshold);

  let sensitivity: Float64Array = new Float64Array(0);
  let k: number | null = null;
  if (probe.labels && probe.classes > 0) {
    sensitivity = new Float64Array(probe.classes).fill(NaN);
    let dirs = opts.directions;
    if (dirs === undefined) {
      try {
        dirs = keptDirections(pooled, units, m, opts.svccaThreshold);
      } catch {
        dirs = null; // fewer examples than units, or no live neuron: no sensitivity at this layer
      }
    }
    if (dirs) {
      const targets: SensitivityTargets = opts.logits
        ? { kind: 'logits', data: opts.logits, classes: probe.classes }
        : { kind: 'indicator', labels: probe.labels, classes: probe.classes };
      sensitivity = classSensitivity(dirs.basis, dirs.k, m, targets);
      k = dirs.k;
    }
  }
  return { mode, quantile, best, bestIou, selectivity, summary, sensitivity, k };
}

/** Chance baseline of the detector counts: the same pipeline on seeded Gaussian activations of the layer's shape. */
export function chanceDetectors(layer: Omit<LayerValues, 'data'>, probe: ConceptProbe, opts: LayerConceptOptions = {}, seed = 12345): DetectorSummary {
  const rng = new Rng(seed);
  const data = new Float32Array(layer.units * probe.examples * layer.h * layer.w);
  for (let i = 0; i < data.length; i++) data[i] = rng.normal();
  const { summary } = analyseLayerConcepts({ ...layer, data }, { ...probe, labels: null }, { ...opts, directions: null });
  return summary;
}
