/** The analysis core: SVCCA, svcca-k, PWCCA and linear CKA, pure functions over typed arrays. */
export type { Activations, Metric, PreparedLayer, SimilarityOptions, SimilarityResult } from './types';
export { METRICS } from './types';
export { AnalysisError, type AnalysisErrorCode } from './errors';
export { DEFAULT_K, DEFAULT_THRESHOLD } from './options';
export { prepare, prepareFor, slim, preparedBytes, rankOf } from './prepare';
export { compare, compareMany } from './compare';
export { similarity, similarities } from './similarity';
export { chanceBaseline, DEFAULT_CHANCE_SAMPLES } from './chance';
export { kernelInfo, selectKernel, type KernelName } from './kernel';
export { Rng, gaussianMatrix } from '../random';
