/**
 * Are a stored run's concept claims true in hindsight? From the run log and its analysis log:
 * - every detector the dashboard shows (layer, step, unit → concept C): the share of C among the unit's 12 top-activating
 *   probe examples at that step (what the unit drawer shows), or for a part concept (pixel masks) the share of the unit's
 *   on-pixels inside C's mask, against C's base rate;
 * - unique detectors per layer at the last step against the layer's chance baseline, and when each concept first emerged;
 * - Grad-CAM: the share of each map's mass inside the item's silhouette, per step.
 */
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import {
  bilinearPlan,
  createMasks,
  createTally,
  packMasksInto,
  tallyMasks,
  upsampledQuantileCuts,
  upsampleInto,
  type PackedMasks,
} from '../lib/analysis/concepts';
import { decodeFrame, masksFirstExample, type ConceptCell, type ConceptStateOf, type Probe } from '../lib/protocol';
import { loadConcepts } from '../server/analysis/concepts-store';
import { analysisPath } from '../server/analysis/analysis-store';
import { readLayout } from '../server/analysis/offline';
import { DEFAULT_LIMITS } from '../server/http/limits';
import { addProbeChunks, type ProbeChunk } from '../server/analysis/probe-chunks';
import { topExamples, unitMaxima } from '../server/analysis/unit-examples';
import { readRunLog } from '../server/storage/run-log-reader';
import { decodeRecord, RECORD_KIND } from '../server/runs/records';
import { readExactly } from '../server/analysis/frame-reader';
import { RECORD_HEADER_SIZE } from '../server/storage/run-log-format';

/** Examples the unit drawer shows. */
export const TOP_K = 12;

/** Per layer and concept: what the detectors' top examples (or on-pixels) hold against the concept's base rate. */
export interface PrecisionRow {
  layer: string;
  concept: string;
  category: string;
  /** "examples": share among the top 12 examples; "pixels": share of the unit's on-pixels inside the mask. */
  measure: 'examples' | 'pixels';
  /** Detector observations (unit × step). */
  n: number;
  mean: number;
  min: number;
  base: number;
  /** Parts only: where the unit fires hardest (the peak of its upsampled map) in its 12 strongest examples. */
  peaks?: PeakCheck;
}

/** Share of a part detector's 12 top examples whose peak lies on the part, against the part's coverage of those images. */
export interface PeakCheck {
  mean: number;
  coverage: number;
  /** Detector observations whose share is below min(2 × coverage, (1 + coverage) / 2). */
  below: number;
}

export interface LayerEmergence {
  layer: string;
  /** How each computed step scored the layer ("mask", "image" or "none"). */
  modes: string[];
  steps: number[];
  unique: number[];
  detectors: number[];
  chanceUnique: number | null;
  /** Per concept that ever had a detector: the first step, and detectors at the last step. */
  concepts: Array<{ concept: string; category: string; first: number; last: number }>;
}

export interface GradcamShare {
  steps: number[];
  /** Per step, per target (0: true class, 1: predicted class): mean share of map mass inside the silhouette. */
  inside: number[][];
  /** The silhouette's share of the image (a map spread evenly would score this). */
  uniform: number;
  /** Maps of an example whose true and predicted class agree, in how many of those cases they were identical, and of how many. */
  agree: { identical: number; of: number };
}

export interface Hindsight {
  runId: string;
  precision: PrecisionRow[];
  emergence: LayerEmergence[];
  gradcam: GradcamShare | null;
}

async function readFrameAt(file: string, offset: number, length: number) {
  const fd = openSync(file, 'r');
  try {
    return decodeFrame(readExactly(fd, Buffer.allocUnsafeSlow(length), offset + RECORD_HEADER_SIZE, `the frame at ${offset}`));
  } finally {
    closeSync(fd);
  }
}

/** The probe declaration and the concept masks of a log. */
async function probeOf(file: string): Promise<{ probe: Probe; masks: PackedMasks | null }> {
  let probe: Probe | null = null;
  let chunks: ProbeChunk[] = [];
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.message, RECORD_KIND.frame] })) {
    const r = decodeRecord(rec.kind, rec.time, rec.payload);
    if (r?.kind === 'message' && r.message.type === 'probe' && !probe) probe = r.message;
    if (r?.kind === 'frame' && r.frame.header.kind === 'masks') {
      chunks = addProbeChunks(
        chunks,
        [{ layer: r.frame.header.layer, shape: r.frame.header.shape, offset: rec.offset, length: rec.payload.length }],
        masksFirstExample,
      );
    }
  }
  if (!probe) throw new Error(`${file} declares no probe`);
  let masks: PackedMasks | null = null;
  if (chunks.length && probe.maskSize && probe.concepts) {
    masks = createMasks(probe.examples, probe.concepts.length, probe.maskSize.h, probe.maskSize.w);
    for (const c of chunks) packMasksInto(masks, c.first, (await readFrameAt(file, c.offset, c.length)).data, c.count);
  }
  return { probe, masks };
}

/** Whether example j's mask of concept c has pixel p set. */
const maskBit = (m: PackedMasks, j: number, c: number, p: number) => (m.bits[(j * m.concepts + c) * m.words + (p >>> 5)] >>> (p & 31)) & 1;

/** Computes the figures of one stored run (run directory `runDir`). */
export async function hindsight(runDir: string): Promise<Hindsight> {
  const file = path.join(runDir, 'log.lwlog');
  const state: ConceptStateOf<ConceptCell> | null = await loadConcepts(analysisPath(runDir));
  if (!state) throw new Error(`${runDir} has no stored concept statistics`);
  const [layout, { probe, masks }] = await Promise.all([readLayout(file, DEFAULT_LIMITS), probeOf(file)]);
  const m = probe.examples;
  const concepts = state.concepts;
  const shows = concepts.map((_, c) => Uint8Array.from({ length: m }, (_, j) => (probe.conceptLabels?.[j]?.includes(c) ? 1 : 0)));
  const exampleBase = shows.map((s) => s.reduce((a, b) => a + b, 0) / m);
  const acc = new Map<string, PrecisionRow>();
  const emergence: LayerEmergence[] = [];

  for (let l = 0; l < state.layers.length; l++) {
    const layer = state.layers[l];
    const li = layout.layers.findIndex((x) => x.name === layer);
    const first = new Map<number, number>();
    let lastCount = new Map<number, number>();
    const row: LayerEmergence = { layer, modes: [], steps: [], unique: [], detectors: [], chanceUnique: state.chance[l]?.unique ?? null, concepts: [] };
    for (let col = 0; col < state.steps.length; col++) {
      const cell = state.cells[l][col];
      if (!cell) continue;
      const step = state.steps[col];
      row.modes.push(cell.mode);
      row.steps.push(step);
      row.unique.push(cell.unique);
      row.detectors.push(cell.detectors);
      const dets = cell.best.flatMap((b, u) => (b >= 0 && cell.iou[u] > state.threshold ? [[u, b]] : []));
      const count = new Map<number, number>();
      for (const [, b] of dets) {
        count.set(b, (count.get(b) ?? 0) + 1);
        if (!first.has(b)) first.set(b, step);
      }
      lastCount = count;
      if (!dets.length || li < 0) continue;
      const at = layout.steps.indexOf(step);
      const ref = at >= 0 ? layout.frames[li][at] : null;
      if (!ref) continue;
      const { header, data } = await readFrameAt(file, ref.offset, ref.length);
      const positions = header.shape.slice(2).reduce((a, b) => a * b, 1);
      const [h, w] = [header.shape[2] ?? 1, header.shape[3] ?? 1];
      for (const [u, c] of dets) {
        const values = data.subarray(u * m * positions, (u + 1) * m * positions);
        const pixel = cell.mode === 'mask' && concepts[c].category === 'part' && masks;
        let share: number, base: number;
        let peak: { share: number; coverage: number } | null = null;
        if (pixel) {
          // The rule's own on-region: the top quantile of the upsampled maps (lib/analysis/concepts/pixel-cuts.ts).
          const tally = createTally(1, concepts.length);
          tallyMasks(tally, values, m, h, w, upsampledQuantileCuts(values, 1, m, h, w, masks.h, masks.w, state.quantiles[l]), masks);
          share = tally.inter[c] / tally.act[0];
          base = tally.gt[c] / tally.total;
          peak = peakOnPart(values, m, h, w, masks, c);
        } else {
          const scores = positions > 1 ? unitMaxima(values, m, positions) : values;
          const top = topExamples(scores, TOP_K);
          share = top.filter((j) => shows[c][j]).length / top.length;
          base = exampleBase[c];
        }
        const key = `${layer}\u0000${concepts[c].name}`;
        const r = acc.get(key) ?? {
          layer,
          concept: concepts[c].name,
          category: concepts[c].category,
          measure: pixel ? 'pixels' : 'examples',
          n: 0,
          mean: 0,
          min: Infinity,
          base,
        };
        r.mean += (share - r.mean) / ++r.n;
        r.min = Math.min(r.min, share);
        if (peak) {
          const p = (r.peaks ??= { mean: 0, coverage: 0, below: 0 });
          p.mean += (peak.share - p.mean) / r.n;
          p.coverage += (peak.coverage - p.coverage) / r.n;
          if (peak.share < Math.min(2 * peak.coverage, (1 + peak.coverage) / 2)) p.below++;
        }
        acc.set(key, r);
      }
    }
    row.concepts = [...first].map(([c, step]) => ({ concept: concepts[c].name, category: concepts[c].category, first: step, last: lastCount.get(c) ?? 0 }));
    emergence.push(row);
  }
  return {
    runId: path.basename(runDir),
    precision: [...acc.values()],
    emergence,
    gradcam: await gradcamShares(
      file,
      layout.gradcam,
      masks,
      concepts.findIndex((c) => c.name === 'silhouette'),
    ),
  };
}

/** Of a unit's 12 strongest examples (by maximum), the share whose upsampled map peaks on part c, and c's mean coverage of them. */
function peakOnPart(values: Float32Array, m: number, h: number, w: number, masks: PackedMasks, c: number): { share: number; coverage: number } {
  const { h: H, w: W } = masks;
  const plan = bilinearPlan(h, w, H, W);
  const up = new Float64Array(H * W);
  const top = topExamples(unitMaxima(values, m, h * w), TOP_K);
  let hit = 0,
    coverage = 0;
  for (const j of top) {
    upsampleInto(values, j * h * w, plan, up);
    let best = 0;
    for (let p = 1; p < H * W; p++) if (up[p] > up[best]) best = p;
    hit += maskBit(masks, j, c, best);
    coverage += masks.counts[j * masks.concepts + c] / (H * W);
  }
  return { share: hit / top.length, coverage: coverage / top.length };
}

/** Share of each Grad-CAM map's mass (upsampled bilinearly to the mask size) inside the example's silhouette mask. */
async function gradcamShares(
  file: string,
  refs: Awaited<ReturnType<typeof readLayout>>['gradcam'],
  masks: PackedMasks | null,
  silhouette: number,
): Promise<GradcamShare | null> {
  if (!refs.length || !masks || silhouette < 0) return null;
  const { h: H, w: W } = masks;
  let covered = 0;
  for (let j = 0; j < masks.examples; j++) covered += masks.counts[j * masks.concepts + silhouette];
  const out: GradcamShare = { steps: [], inside: [], uniform: covered / (masks.examples * H * W), agree: { identical: 0, of: 0 } };
  const up = new Float64Array(H * W);
  for (const ref of refs) {
    const { header, data } = await readFrameAt(file, ref.offset, ref.length);
    const [n, targets, h, w] = header.shape;
    const plan = bilinearPlan(h, w, H, W);
    const sums = new Array<number>(targets).fill(0),
      counted = new Array<number>(targets).fill(0);
    for (let i = 0; i < n; i++) {
      const j = header.examples![i];
      const cls = header.classes!.slice(i * targets, (i + 1) * targets);
      if (targets > 1 && cls[0] === cls[targets - 1]) {
        const a = data.subarray(i * targets * h * w, (i * targets + 1) * h * w),
          b = data.subarray((i * targets + targets - 1) * h * w, (i * targets + targets) * h * w);
        out.agree.of++;
        if (a.every((v, p) => v === b[p])) out.agree.identical++;
      }
      for (let t = 0; t < targets; t++) {
        upsampleInto(data, (i * targets + t) * h * w, plan, up);
        let all = 0,
          inside = 0;
        for (let p = 0; p < H * W; p++) {
          all += up[p];
          if (maskBit(masks, j, silhouette, p)) inside += up[p];
        }
        if (all > 0) {
          sums[t] += inside / all;
          counted[t]++;
        }
      }
    }
    out.steps.push(ref.step);
    out.inside.push(sums.map((s, t) => (counted[t] ? s / counted[t] : NaN)));
  }
  return out;
}
