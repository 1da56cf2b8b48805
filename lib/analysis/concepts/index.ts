/** Concept statistics (Network Dissection, class selectivity, class sensitivity): pure functions over typed arrays. */
export type { ConceptTally, PackedMasks, Real } from './types';
export { classSelectivity, meanOverSpace, quantiles, SELECTIVITY_BANDS, selectivityBands } from './selectivity';
export { DEFAULT_IMAGE_QUANTILE, DEFAULT_PIXEL_QUANTILE, defaultQuantile, nextDown, selectKth, topQuantileCuts } from './threshold';
export { bilinearAxis, bilinearPlan, createMasks, packMasksInto, popcount, upsampleInto, type BilinearPlan } from './masks';
export { createTally, iouFromTally, tallyImageLevel, tallyMasks } from './iou';
export { upsampledQuantileCuts } from './pixel-cuts';
export { labelsFromMasks, maxOverSpace, scoreConcepts, wholeImageConcepts, type Scored } from './scoring';
export { bestConcepts, DETECTOR_IOU, summariseDetectors, type DetectorSummary } from './detectors';
export { DETECTOR_ALPHA, logFactorial, overlapPValue } from './significance';
export { classSensitivity, keptDirections, multipleCorrelation, type SensitivityTargets } from './sensitivity';
export { analyseLayerConcepts, chanceDetectors, type ConceptProbe, type LayerConceptOptions, type LayerConceptResult, type LayerValues } from './layer';
