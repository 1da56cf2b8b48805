/** Shapes shared by the analysis core: metrics, inputs, options, results and cached layers. */

/** Every similarity metric (DESIGN.md, Metrics), in the order the CLI prints them: the one list of metric names. */
export const METRICS = ['svcca', 'svcca-k', 'pwcca', 'cka'] as const;

/** One of the similarity metrics. */
export type Metric = (typeof METRICS)[number];

/** One layer's activations, row-major units × examples (neurons × datapoints). */
export interface Activations {
  data: Float32Array | Float64Array;
  units: number;
  examples: number;
}

/** Metric options: `k` for svcca-k (default 10), `threshold` kept variance for svcca (default 0.99). */
export interface SimilarityOptions {
  k?: number;
  threshold?: number;
}

/** A metric's value; SVCCA variants also report k per side and all canonical correlations (descending). */
export interface SimilarityResult {
  metric: Metric;
  value: number;
  k?: [number, number];
  rho?: number[];
  /** SVCCA from a sketch whose K directions do not reach the asked k (or the 99% of the variance): k was capped at K. */
  capped?: boolean;
  /** CKA from sketches: the CKA of the layers' rank-K truncations (docs/analysis.md, "Sketches"), not the exact value. */
  approximate?: boolean;
}

/**
 * One layer's cached decomposition (a plain, structured-cloneable object).
 * Form 'data': `rows` are the centred neurons (all units), `vectors` the covariance eigenvectors of the kept neurons.
 * Form 'basis': `rows` are orthonormal datapoint-space directions (descending variance), the output of `slim`.
 * Form 'gram': `rows` is the m × m datapoint Gram X_cᵀX_c (CKA only; kept for layers with more neurons than datapoints).
 */
export interface PreparedLayer {
  form: 'data' | 'basis' | 'gram';
  /** Neurons in the input layer. */
  units: number;
  /** Datapoints. */
  examples: number;
  /** Row-major rowCount × examples. */
  rows: Float32Array | Float64Array;
  rowCount: number;
  /** Indices of the neurons that pass the dead-neuron filter. */
  kept: Int32Array;
  /** Covariance eigenvalues of the kept neurons, descending, down to numerical rank (length = rank). */
  values: Float64Array;
  /** rank × kept.length, row i the unit eigenvector of values[i] (empty when the form does not need it). */
  vectors: Float64Array;
  /** ‖X_cᵀX_c‖_F over all neurons (CKA's normaliser). */
  gramNorm: number;
  /** Metrics this layer can still answer (all four until slimmed). */
  metrics: Metric[];
  /**
   * Present when `values` holds only the leading directions (a top-k layer, a sketch): the sum of every eigenvalue,
   * ‖X_c‖²_F over the live neurons, so the 99% rule still knows the whole.
   */
  total?: number;
  /** Present on a layer built from a sketch (the trainer's top-K directions): the K it holds (docs/analysis.md, "Sketches"). */
  sketch?: number;
}
