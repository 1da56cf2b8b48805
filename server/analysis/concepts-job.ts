/** The `concepts` worker job: one layer at one checkpoint → selectivity, IoU, detectors and class sensitivity (lib/analysis/concepts). */
import { closeSync, openSync, readSync } from 'node:fs';
import {
  analyseLayerConcepts,
  chanceDetectors,
  createMasks,
  packMasksInto,
  selectivityBands,
  type ConceptProbe,
  type PackedMasks,
  type Real,
} from '../../lib/analysis/concepts';
import { BoundedMap } from '../../lib/bounded-map';
import { decodeFrame, type ConceptChance, type ConceptSummary } from '../../lib/protocol';
import { RECORD_HEADER_SIZE } from '../storage/run-log-format';
import type { FrameRef } from './jobs';

/** Where a run's concept masks sit in its log: chunks in example order covering every probe example. */
export interface MasksRef {
  key: string;
  file: string;
  chunks: Array<{ offset: number; length: number }>;
  examples: number;
  concepts: number;
  h: number;
  w: number;
}

/** The probe labels a job needs (plain arrays, structured-cloned to the worker). */
export type ConceptProbeWire = Omit<ConceptProbe, 'labels' | 'category'> & { labels: number[] | null; category: number[] };

export interface ConceptsJob {
  op: 'concepts';
  ref: FrameRef;
  probe: ConceptProbeWire;
  masks: MasksRef | null;
  /** The logits layer's frame at the same checkpoint (classes × examples), when the run has one. */
  logits: FrameRef | null;
  quantile: number;
  /** Spatial layers: the quantile of the per-example maxima that image-level concepts are scored on. */
  imageQuantile?: number;
  threshold: number;
  svccaThreshold?: number;
  /** Also compute the chance baseline of this layer's detector counts. */
  chance: boolean;
}

/**
 * A cell without its position (the tracker adds layer and step): the summary, the per-unit values packed as rows of one
 * float32 array (best concept, IoU, selectivity with NaN for none; concept-units.ts stores them as is), and the chance
 * baseline when asked.
 */
export type ConceptsJobResult = Omit<ConceptSummary, 'l' | 'step'> & { units: Float32Array; chance?: ConceptChance };

/** Reads one stored record's payload. */
function readPayload(file: string, offset: number, length: number): Buffer {
  const buf = Buffer.allocUnsafeSlow(length);
  const fd = openSync(file, 'r');
  try {
    let got = 0;
    while (got < length) {
      const n = readSync(fd, buf, got, length - got, offset + RECORD_HEADER_SIZE + got);
      if (n === 0) throw new Error(`log ends inside the record at ${offset}`);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  return buf;
}

const masksCache = new BoundedMap<string, PackedMasks>(4);

/** The run's masks packed as bitsets, read once per worker (the four most recent runs are kept). */
function masksFor(ref: MasksRef): PackedMasks {
  const hit = masksCache.get(ref.key);
  if (hit) return hit;
  const masks = createMasks(ref.examples, ref.concepts, ref.h, ref.w);
  let first = 0;
  for (const c of ref.chunks) {
    const { header, data } = decodeFrame(readPayload(ref.file, c.offset, c.length));
    packMasksInto(masks, first, data, header.shape[0]);
    first += header.shape[0];
  }
  masksCache.set(ref.key, masks);
  return masks;
}

const round = (v: number, digits: number) => (Number.isFinite(v) ? Math.round(v * 10 ** digits) / 10 ** digits : null);

/** Runs one job; `directions` returns the layer's kept SVCCA directions from the worker's cache (null when it has none). */
export function runConceptsJob(job: ConceptsJob, directions: (ref: FrameRef) => { basis: Real; k: number } | null): ConceptsJobResult {
  const { header, data } = decodeFrame(readPayload(job.ref.file, job.ref.offset, job.ref.length));
  const [units, examples] = header.shape;
  const h = header.shape[2] ?? 1,
    w = header.shape[3] ?? 1;
  if (examples !== job.probe.examples)
    throw Object.assign(new Error(`frame has ${examples} examples; the probe has ${job.probe.examples}`), { code: 'SHAPE_MISMATCH' });
  const probe: ConceptProbe = job.probe;
  const masks = job.masks && h * w > 1 ? masksFor(job.masks) : null;
  const logits = job.logits ? decodeFrame(readPayload(job.logits.file, job.logits.offset, job.logits.length)).data : null;
  const opts = {
    quantile: job.quantile,
    imageQuantile: job.imageQuantile,
    threshold: job.threshold,
    masks,
    logits,
    svccaThreshold: job.svccaThreshold,
    directions: probe.labels ? directions(job.ref) : null,
  };
  const r = analyseLayerConcepts({ data, units, h, w }, probe, opts);
  const packed = new Float32Array(3 * units);
  packed.set(r.best, 0);
  packed.set(r.bestIou, units);
  packed.set(r.selectivity, 2 * units);
  const result: ConceptsJobResult = {
    mode: r.mode,
    units: packed,
    selectivityBands: selectivityBands(r.selectivity),
    detectors: r.summary.detectors,
    unique: r.summary.unique,
    uniqueByCategory: r.summary.uniqueByCategory,
    sensitivity: Array.from(r.sensitivity, (v) => round(v, 4)),
    k: r.k,
  };
  if (job.chance && probe.concepts > 0 && r.mode !== 'none') {
    const c = chanceDetectors({ units, h, w }, probe, { quantile: job.quantile, imageQuantile: job.imageQuantile, threshold: job.threshold, masks });
    result.chance = { detectors: c.detectors, unique: c.unique };
  }
  return result;
}
