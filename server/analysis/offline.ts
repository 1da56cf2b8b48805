/** Convergence computed in-process from a stored log (CLI export of a metric that was not computed live). */
import { chanceBaseline, compare, type PreparedLayer, type SimilarityOptions } from '../../lib/analysis';
import { emptyGrid, imagesFirstExample, masksFirstExample, type ConvergenceGrid, type IngestLimits, type MetricName } from '../../lib/protocol';
import { readRunLog } from '../storage/run-log-reader';
import { decodeRecord, RECORD_KIND } from '../runs/records';
import { gradcamHeaderProblem, layersProblem, probeDeclProblem } from '../ingest/rules';
import { DEFAULT_LIMITS } from '../http/limits';
import { allFinite32 } from '../../lib/codecs/finite';
import { CHANCE_SEED, sketchOf } from './jobs';
import { prepareStoredFrame } from './prepare-frame';
import { addProbeChunks, type ProbeChunk } from './probe-chunks';
import { addGradcamFrames, type GradcamRef } from './gradcam';

export interface StoredLayout {
  layers: Array<{ name: string; units: number; sketch?: number }>;
  examples: number;
  steps: number[];
  /** frames[l][c]: where layer l of checkpoint c sits in the log (null when not sent); `finite` when readLayout was asked to check. */
  frames: Array<Array<{ offset: number; length: number; finite?: boolean; kind?: 'sketch' } | null>>;
  /** Probe images chunks (frames of kind "images", stored outside checkpoints). */
  images: ProbeChunk[];
  /** Grad-CAM frames (kind "gradcam", stored after their checkpoint), in step order. */
  gradcam: GradcamRef[];
  /** Concept masks chunks (frames of kind "masks"). */
  masks: ProbeChunk[];
}

/**
 * Finds the layers, steps and frame positions of a log in one pass; `finite` also checks every frame for NaN/Inf.
 * Declarations beyond `limits` are skipped, as readRunState skips them (nothing is sized from them).
 */
export async function readLayout(file: string, limits: IngestLimits, opts: { finite?: boolean } = {}): Promise<StoredLayout> {
  let layers: StoredLayout['layers'] = [];
  let examples = 0;
  const steps: number[] = [];
  const frames: StoredLayout['frames'] = [];
  let images: ProbeChunk[] = [];
  let gradcam: GradcamRef[] = [];
  let masks: ProbeChunk[] = [];
  let current = -1;
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message, RECORD_KIND.frame] })) {
    if (rec.kind === RECORD_KIND.frame) {
      const r = decodeRecord(rec.kind, rec.time, rec.payload);
      if (r?.kind !== 'frame') continue;
      const { layer, shape, kind, step } = r.frame.header;
      const chunk = [{ layer, shape, offset: rec.offset, length: rec.payload.length }];
      if (kind === 'images') images = addProbeChunks(images, chunk, imagesFirstExample);
      if (kind === 'masks') masks = addProbeChunks(masks, chunk, masksFirstExample);
      // A stored frame that is no Grad-CAM frame (a hand-edited data directory) is left out, as readRunState leaves bad records out.
      if (kind === 'gradcam' && !gradcamHeaderProblem(r.frame.header)) gradcam = addGradcamFrames(gradcam, [{ ...chunk[0], step }]);
      if (current < 0 || kind === 'images' || kind === 'masks' || kind === 'gradcam') continue;
      const l = layers.findIndex((x) => x.name === r.frame.header.layer);
      if (l >= 0)
        frames[l][current] = {
          offset: rec.offset,
          length: rec.payload.length,
          ...(opts.finite ? { finite: allFinite32(r.frame.data) } : {}),
          ...(kind === 'sketch' ? { kind } : {}),
        };
      continue;
    }
    const r = decodeRecord(rec.kind, rec.time, rec.payload);
    if (r?.kind !== 'message') continue;
    const msg = r.message;
    if (msg.type === 'layers' && !layers.length && !layersProblem(msg.layers, limits)) {
      layers = msg.layers.map((l) => ({ name: l.name, units: l.units, ...(l.sketch ? { sketch: l.sketch } : {}) }));
      for (let i = 0; i < layers.length; i++) frames.push([]);
    } else if (msg.type === 'probe' && !examples && !probeDeclProblem(msg, limits)) {
      examples = msg.examples;
    } else if (msg.type === 'checkpoint') {
      steps.push(msg.step);
      current = steps.length - 1;
      for (const f of frames) f[current] = null;
    }
  }
  return { layers, examples, steps, frames, images, masks, gradcam };
}

/** The full grid of one metric against the final checkpoint, with stability, k and chance. */
export async function computeConvergence(file: string, metric: MetricName, opts: SimilarityOptions = {}, layout?: StoredLayout): Promise<ConvergenceGrid> {
  const lay = layout ?? (await readLayout(file, DEFAULT_LIMITS));
  const grid = emptyGrid(
    metric,
    lay.layers.map((l) => l.name),
  );
  const n = lay.steps.length;
  grid.steps = [...lay.steps];
  grid.reference = n ? lay.steps[n - 1] : null;
  for (const rows of [grid.toNewest, grid.stability, grid.k]) for (const r of rows) r.push(...new Array<null>(n).fill(null));
  lay.layers.forEach((layer, l) => {
    const load = (c: number) => {
      const ref = lay.frames[l][c];
      if (!ref) return null;
      try {
        return prepareStoredFrame({ file, ...ref, ...sketchOf(layer) }, metric, opts);
      } catch {
        return null;
      }
    };
    const pair = (a: PreparedLayer, b: PreparedLayer) => {
      try {
        return compare(a, b, metric, opts);
      } catch {
        return null; // e.g. PWCCA against a sketch
      }
    };
    const final = n ? load(n - 1) : null;
    let previous = null as ReturnType<typeof load>;
    for (let c = 0; c < n; c++) {
      const current = load(c);
      const r = current && final ? pair(current, final) : null;
      if (r) {
        grid.toNewest[l][c] = r.value;
        if (r.k) grid.k[l][c] = r.k[0];
      }
      if (current && previous) grid.stability[l][c] = pair(previous, current)?.value ?? null;
      previous = current;
    }
    if (lay.examples > 1)
      grid.chance[l] = chanceBaseline(
        Math.min(layer.units, lay.examples - 1),
        Math.min(layer.units, lay.examples - 1),
        lay.examples,
        metric,
        opts,
        CHANCE_SEED,
      ).mean;
  });
  return grid;
}
