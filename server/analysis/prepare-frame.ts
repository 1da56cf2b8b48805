/** One stored frame prepared for one metric: the worker's cache fills from here, and so does the CLI's offline export. */
import { AnalysisError, prepareFor, type Metric, type PreparedLayer, type SimilarityOptions } from '../../lib/analysis';
import { prepareSketch, sketchActivations, validateSketch } from '../../lib/analysis/sketch';
import { allFinite32 } from '../../lib/codecs/finite';
import { poolSpatial, readTransientFrame } from './frame-reader';
import type { DecodedFrame } from '../../lib/protocol';
import type { FrameRef } from './jobs';

/**
 * A raw frame in the cheapest exact form for `metric`; a sketch frame as a sketch (its basis checked); a raw frame of a
 * layer declared as sketches (`ref.sketch`) reduced to the same sketch, so a grid row is one kind throughout, except
 * for PWCCA, which only raw frames answer. `known`: the frame's CKA normaliser when already computed. Throws NON_FINITE,
 * BAD_SKETCH or NEEDS_RAW with a message.
 */
export function prepareStoredFrame(
  ref: Pick<FrameRef, 'file' | 'offset' | 'length' | 'sketch'>,
  metric: Metric,
  opts: SimilarityOptions,
  known?: { gramNorm?: number },
): PreparedLayer {
  // Every form below copies what it keeps (a sketch's basis explicitly), so the frame is read into a reused buffer.
  return prepareDecodedFrame(readTransientFrame(ref), ref.sketch, metric, opts, known);
}

/**
 * prepareStoredFrame of a frame already decoded: the same frame read from the log or as it arrived (prefetch.ts) gives
 * the same layer. `known.finite`: the collector already counted its NaN/Inf (none), so it is not scanned again.
 */
export function prepareDecodedFrame(
  frame: DecodedFrame,
  sketchK: number | undefined,
  metric: Metric,
  opts: SimilarityOptions,
  known?: { gramNorm?: number; finite?: true },
): PreparedLayer {
  const { header, data } = frame;
  if (!known?.finite && !allFinite32(data)) throw Object.assign(new Error('NaN or Inf activations: excluded from analysis'), { code: 'NON_FINITE' });
  if (header.kind === 'sketch' && header.sketch) {
    if (metric === 'pwcca') throw new AnalysisError('NEEDS_RAW', 'pwcca needs raw activations; this checkpoint sent a sketch of the layer');
    const sketch = { units: header.shape[0], examples: header.shape[1], basis: data.slice(), singular: header.sketch.singular, total: header.sketch.total };
    validateSketch(sketch, `layer "${header.layer}" at step ${header.step}`);
    return prepareSketch(sketch);
  }
  const acts = poolSpatial(frame);
  if (sketchK && metric !== 'pwcca') return prepareSketch(sketchActivations(acts, sketchK));
  return prepareFor(acts, metric, opts, known);
}
