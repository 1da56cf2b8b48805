/**
 * Grad-CAM maps of a run (lib/protocol/gradcam.ts): where each step's frame sits in the log, and the `gradcam` request,
 * which reads one step's frame and the examples' probe images from the stored log — live, past and replayed runs alike.
 */
import { gradcamSource, imageBytes, type GradcamExample, type GradcamParams, type GradcamView } from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import { LogSlices } from './frame-slices';
import { chunkOf, type ProbeChunk } from './probe-chunks';

/** One stored Grad-CAM frame. */
export interface GradcamRef {
  step: number;
  /** The conv layer the maps come from. */
  source: string;
  offset: number;
  length: number;
  shape: number[];
}

/** `refs` with `ref` in step order (replacing an earlier ref of the same step); a new list. */
export function withGradcamRef(refs: readonly GradcamRef[], ref: GradcamRef): GradcamRef[] {
  const list = [...refs];
  let i = list.length;
  while (i > 0 && list[i - 1].step > ref.step) i--;
  if (i > 0 && list[i - 1].step === ref.step) list[i - 1] = ref;
  else list.splice(i, 0, ref);
  return list;
}

/** Adds the Grad-CAM frames among `frames` to `refs` (kept in step order; a later frame for a step replaces the earlier). */
export function addGradcamFrames(
  refs: GradcamRef[],
  frames: ReadonlyArray<{ layer: string; step?: number; offset: number; length: number; shape: number[] }>,
): GradcamRef[] {
  let list = refs;
  for (const f of frames) {
    const source = gradcamSource(f.layer);
    if (source === null || f.step === undefined || f.shape.length !== 4) continue;
    list = withGradcamRef(list, { step: f.step, source, offset: f.offset, length: f.length, shape: f.shape });
  }
  return list;
}

/** The newest ref at or before `step` (the newest of all without it), or null. */
export function gradcamAt(refs: readonly GradcamRef[], step?: number): GradcamRef | null {
  for (let i = refs.length - 1; i >= 0; i--) if (step === undefined || refs[i].step <= step) return refs[i];
  return null;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');

/** Bytes of one map scaled by its maximum (round(255 · v / peak)), and the peak; a non-finite or negative value counts as 0. */
export function mapBytes(values: Float32Array): { bytes: Uint8Array; peak: number } {
  // Ingest refuses such values; a stored log is read as found, so the answer stays finite whatever the file holds.
  const ok = (v: number) => (v > 0 && v < Infinity ? v : 0);
  let peak = 0;
  for (const v of values) if (ok(v) > peak) peak = v;
  const bytes = new Uint8Array(values.length);
  if (peak > 0) for (let i = 0; i < values.length; i++) bytes[i] = Math.round((255 * ok(values[i])) / peak);
  return { bytes, peak };
}

/** Answers one `gradcam` request; `refs` are the run's Grad-CAM frames, `images` its probe images chunks. */
export function gradcamView(
  state: RunState,
  params: GradcamParams,
  refs: readonly GradcamRef[],
  images: readonly ProbeChunk[],
  file: string,
): GradcamView | null {
  const ref = gradcamAt(refs, params.step);
  const last = refs.at(-1);
  if (!last) return null;
  const classNames = state.probeDecl?.classNames ?? [];
  const [, targets, h, w] = (ref ?? last).shape;
  const base = { layer: (ref ?? last).source, steps: refs.map((r) => r.step), h, w, targets, classNames };
  if (!ref) return { ...base, step: null, examples: [] };
  const slices = new LogSlices(file);
  try {
    const { header, payloadOffset } = slices.header(ref);
    const examples = header.examples ?? [];
    const classes = header.classes ?? [];
    const per = h * w;
    let imageSize: GradcamView['imageSize'];
    const out: GradcamExample[] = examples.map((e, i) => {
      const maps: string[] = [];
      const peaks: number[] = [];
      for (let t = 0; t < targets; t++) {
        const { bytes, peak } = mapBytes(slices.floats(ref, payloadOffset, (i * targets + t) * per, per));
        maps.push(b64(bytes));
        peaks.push(peak);
      }
      const item: GradcamExample = { example: e, classes: classes.slice(i * targets, (i + 1) * targets), maps, peaks };
      const label = state.labels?.[e];
      if (label !== undefined) item.label = label;
      const chunk = chunkOf(images, e);
      if (chunk) {
        const [, ih, iw, channels] = chunk.shape;
        if (channels === 1 || channels === 3) {
          imageSize ??= { h: ih, w: iw, channels };
          const size = ih * iw * channels;
          item.pixels = b64(imageBytes(slices.floats(chunk, slices.header(chunk).payloadOffset, (e - chunk.first) * size, size)));
        }
      }
      return item;
    });
    return { ...base, step: ref.step, examples: out, ...(imageSize ? { imageSize } : {}) };
  } finally {
    slices.close();
  }
}
