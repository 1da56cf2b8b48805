/**
 * The `unit-examples` request: one unit's top-activating probe examples at a checkpoint, read from the stored log (the
 * unit's row of the one frame, and the chosen examples' pixels when the run has probe images).
 */
import { imageBytes, ProtocolError, type UnitExample, type UnitExamples, type UnitExamplesParams } from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import { LogSlices } from './frame-slices';
import type { FrameRef } from './jobs';
import { chunkOf, type ProbeChunk } from './probe-chunks';

/** What the request needs from the analysis: where frames and images sit in the log. */
export interface UnitExamplesSource {
  frameRef(state: RunState, step: number, l: number): Promise<FrameRef | null>;
  imageChunks(state: RunState): Promise<ProbeChunk[]>;
}

const bad = (message: string) => new ProtocolError('BAD_REQUEST', message);

/** One value per example from a unit's row (examples × positions): the maximum over positions. */
export function unitMaxima(row: Float32Array, examples: number, positions: number): Float32Array {
  const out = new Float32Array(examples);
  for (let e = 0; e < examples; e++) {
    let max = -Infinity;
    for (let p = 0; p < positions; p++) {
      const v = row[e * positions + p];
      // A NaN anywhere makes the example's value NaN (it is left out of the ranking).
      if (Number.isNaN(v)) {
        max = NaN;
        break;
      }
      if (v > max) max = v;
    }
    out[e] = max;
  }
  return out;
}

/** The k examples with the highest finite values, highest first; ties go to the lower example index. */
export function topExamples(values: Float32Array, k: number): number[] {
  const order: number[] = [];
  for (let e = 0; e < values.length; e++) if (Number.isFinite(values[e])) order.push(e);
  order.sort((a, b) => values[b] - values[a] || a - b);
  return order.slice(0, k);
}

/** Answers one `unit-examples` request for a loaded run. */
export async function unitExamples(state: RunState, params: UnitExamplesParams, source: UnitExamplesSource, file: string): Promise<UnitExamples> {
  const l = state.layers.findIndex((x) => x.name === params.layer);
  if (l < 0) throw new ProtocolError('UNKNOWN_LAYER', `run "${state.meta.id}" has no layer "${params.layer.slice(0, 200)}"`);
  const layer = state.layers[l];
  if (params.unit >= layer.units) throw bad(`layer "${layer.name}" has units 0-${layer.units - 1}; no unit ${params.unit}`);
  const step = params.step ?? state.lastStep;
  if (step === null) throw bad('the run has no checkpoint yet');
  const ref = await source.frameRef(state, step, l);
  if (!ref) throw bad(`layer "${layer.name}" has no stored (finite) frame at step ${step}`);
  const chunks = await source.imageChunks(state);
  const slices = new LogSlices(file);
  try {
    const { header, payloadOffset } = slices.header(ref);
    const [units, examples] = header.shape;
    if (header.kind === 'sketch')
      throw bad(`layer "${layer.name}" was sent as a sketch at step ${step}: single units are not stored (a checkpoint with its raw frame has them)`);
    if (units !== layer.units) throw bad(`the frame of layer "${layer.name}" at step ${step} has ${units} units`);
    const positions = header.shape.slice(2).reduce((a, b) => a * b, 1);
    const row = slices.values(ref, header, payloadOffset, params.unit * examples * positions, examples * positions);
    const values = header.shape.length > 2 ? unitMaxima(row, examples, positions) : row;
    const labels = state.labels;
    const names = state.probeDecl?.classNames;
    let imageSize: UnitExamples['imageSize'];
    const picked: UnitExample[] = topExamples(values, params.k).map((e) => {
      const out: UnitExample = { example: e, value: values[e] };
      const label = labels?.[e];
      if (label !== undefined) {
        out.label = label;
        if (names?.[label] !== undefined) out.className = names[label];
      }
      const chunk = chunkOf(chunks, e);
      if (chunk) {
        const [, h, w, channels] = chunk.shape;
        if (channels !== 1 && channels !== 3) return out;
        imageSize ??= { h, w, channels };
        if (imageSize.h !== h || imageSize.w !== w || imageSize.channels !== channels) return out;
        const per = h * w * channels;
        const at = slices.header(chunk).payloadOffset;
        out.pixels = Buffer.from(imageBytes(slices.floats(chunk, at, (e - chunk.first) * per, per))).toString('base64');
      }
      return out;
    });
    return {
      layer: layer.name,
      unit: params.unit,
      step,
      pooling: header.shape.length > 2 ? 'max' : 'none',
      examples: picked,
      ...(imageSize ? { imageSize } : {}),
    };
  } finally {
    slices.close();
  }
}
