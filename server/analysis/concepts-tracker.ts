/**
 * Live concept statistics of every run: per stored checkpoint, one `concepts` worker job per layer; each result becomes a
 * cell of the run's ConceptState, stored in analysis.lwlog as `{type: 'concepts', patch}` and broadcast as a delta.
 * Past runs load the stored records. Memory per run is the state itself: O(layers × checkpoints × units).
 */
import { DEFAULT_IMAGE_QUANTILE, DETECTOR_IOU, defaultQuantile } from '../../lib/analysis/concepts';
import { applyConceptPatch, masksFirstExample, type ConceptMeta, type ConceptPatch, type ConceptState } from '../../lib/protocol';
import { addProbeChunks, type ProbeChunk } from './probe-chunks';
import type { StoredFrame } from '../run-registry';
import type { RunState } from '../run-state';
import type { AnalysisWriter } from './analysis-store';
import type { ConceptProbeWire, MasksRef } from './concepts-job';
import { loadConcepts } from './concepts-store';
import type { FrameRef } from './jobs';
import { PRIORITY, type AnalysisPool } from './pool';

export interface ConceptsHubOptions {
  pool: AnalysisPool;
  logPath(id: string): string;
  analysisFile(id: string): string;
  publish(id: string, patch: ConceptPatch): void;
}

interface LiveConcepts {
  state: ConceptState;
  probe: ConceptProbeWire;
  writer: AnalysisWriter;
  chanceAsked: Set<number>;
  inflight: number;
  waiters: Array<() => void>;
  /** Jobs of spatial layers held until the masks the probe declares are complete (they follow the first checkpoint). */
  held: Array<(masks: MasksRef | null) => void>;
  closed: boolean;
}

const PAST_CACHE = 16;

/** The probe's labels as the worker jobs take them, or null when the probe has neither classes nor concepts. */
export function conceptProbe(state: RunState): { probe: ConceptProbeWire; meta: ConceptMeta } | null {
  const p = state.probeDecl;
  if (!p || (!p.labels && !p.concepts)) return null;
  const concepts = p.concepts ?? [];
  const categories = [...new Set(concepts.map((c) => c.category))];
  const classes = p.classNames?.length ?? (p.labels ? Math.max(-1, ...p.labels) + 1 : 0);
  const classNames = p.classNames ?? Array.from({ length: classes }, (_, c) => `class ${c}`);
  const q = state.options.analysis?.conceptQuantile;
  const meta: ConceptMeta = {
    layers: state.layers.map((l) => l.name),
    units: state.layers.map((l) => l.units),
    concepts,
    categories,
    classNames,
    threshold: DETECTOR_IOU,
    quantiles: state.layers.map((l) => q ?? defaultQuantile(l.spatial ? l.spatial.h * l.spatial.w : 1)),
    examples: p.examples,
  };
  const probe: ConceptProbeWire = {
    examples: p.examples,
    labels: p.labels ?? null,
    classes,
    conceptLabels: p.conceptLabels ?? null,
    concepts: concepts.length,
    category: concepts.map((c) => categories.indexOf(c.category)),
    categories: categories.length,
  };
  return { probe, meta };
}

/** Concept statistics for every run: live ones computed per checkpoint, past ones loaded from their analysis logs. */
export class ConceptsHub {
  private readonly live = new Map<string, LiveConcepts>();
  private readonly past = new Map<string, ConceptState | null>();
  private readonly masks = new Map<string, ProbeChunk[]>();

  constructor(private readonly o: ConceptsHubOptions) {}

  /** Concept masks were stored (a commit of masks frames without a checkpoint). */
  onMasks(state: RunState, frames: StoredFrame[]): void {
    const id = state.meta.id;
    const list = addProbeChunks(this.masks.get(id) ?? [], frames, masksFirstExample);
    if (list.length) this.masks.set(id, list);
    const run = this.live.get(id);
    const masks = run ? this.masksRef(id, run.probe.examples) : null;
    if (run && masks) for (const job of run.held.splice(0)) job(masks);
  }

  private masksRef(id: string, examples: number): MasksRef | null {
    const chunks = this.masks.get(id);
    if (!chunks?.length) return null;
    let next = 0;
    for (const c of chunks) if (c.first === next) next += c.count;
    if (next !== examples) return null;
    const [, concepts, h, w] = chunks[0].shape;
    return { key: `${id}/masks/${chunks[0].offset}`, file: this.o.logPath(id), chunks: chunks.map((c) => ({ offset: c.offset, length: c.length })), examples, concepts, h, w };
  }

  private emit(id: string, run: LiveConcepts, patch: ConceptPatch): void {
    applyConceptPatch(run.state, patch);
    if (run.closed) return;
    run.writer.append({ type: 'concepts', patch });
    this.o.publish(id, patch);
  }

  private start(state: RunState, writer: AnalysisWriter): LiveConcepts | null {
    const id = state.meta.id;
    const found = conceptProbe(state);
    if (!found) return null;
    const run: LiveConcepts = { state: applyConceptPatch(null, { meta: found.meta })!, probe: found.probe, writer, chanceAsked: new Set(), inflight: 0, waiters: [], held: [], closed: false };
    this.live.set(id, run);
    this.past.delete(id);
    this.emit(id, run, { meta: found.meta });
    // A resumed run: earlier checkpoints' cells come from the stored records (cells are keyed by step, so order does not matter).
    void loadConcepts(this.o.analysisFile(id))
      .then((stored) => {
        if (!stored || run.closed) return;
        const cells = stored.cells.flat().filter((c) => c && !run.state.steps.includes(c.step));
        if (!cells.length) return;
        const patch: ConceptPatch = { cells: cells as NonNullable<(typeof cells)[number]>[] };
        applyConceptPatch(run.state, patch);
        this.o.publish(id, patch);
      })
      .catch(() => {});
    return run;
  }

  /** A checkpoint was stored: queue one job per finite layer frame. */
  onCheckpoint(state: RunState, step: number, frames: StoredFrame[], writer: AnalysisWriter): void {
    const id = state.meta.id;
    const run = this.live.get(id) ?? this.start(state, writer);
    if (!run) return;
    const file = this.o.logPath(id);
    const ref = (f: StoredFrame, l: number): FrameRef => ({ key: `${id}/${l}/s${step}`, file, offset: f.offset, length: f.length });
    const logitsLayer = state.layers.findIndex((l) => l.kind === 'logits' && l.units === run.probe.classes);
    const logitsFrame = logitsLayer >= 0 ? frames.find((f) => f.layer === state.layers[logitsLayer].name && f.finite) : undefined;
    const masks = this.masksRef(id, run.probe.examples);
    const waitForMasks = !masks && Boolean(state.probeDecl?.maskSize);
    for (const f of frames) {
      const l = run.state.layers.indexOf(f.layer);
      if (l < 0 || !f.finite) continue;
      const chance = !run.chanceAsked.has(l);
      run.chanceAsked.add(l);
      run.inflight++;
      const dispatch = (m: MasksRef | null) =>
        this.o.pool
          .run({ op: 'concepts', ref: ref(f, l), probe: run.probe, masks: m, logits: logitsFrame ? ref(logitsFrame, logitsLayer) : null, quantile: run.state.quantiles[l], imageQuantile: state.options.analysis?.conceptQuantile ?? DEFAULT_IMAGE_QUANTILE, threshold: run.state.threshold, chance }, PRIORITY.backfill)
          .then((res) => {
            if (!res.ok || !res.concepts) return;
            const { chance: baseline, ...cell } = res.concepts;
            this.emit(id, run, { cells: [{ l, step, ...cell }], ...(baseline ? { chance: [{ l, value: baseline }] } : {}) });
          })
          .catch(() => {})
          .finally(() => {
            if (--run.inflight === 0) for (const w of run.waiters.splice(0)) w();
          });
      // A spatial layer analysed before its masks arrive would be scored on image-level labels instead (another mode).
      if (waitForMasks && f.shape.length === 4) run.held.push(dispatch);
      else dispatch(masks);
    }
  }

  private idleOf(run: LiveConcepts): Promise<void> {
    return run.inflight === 0 ? Promise.resolve() : new Promise((resolve) => run.waiters.push(resolve));
  }

  /** Makes a past run's stored concept statistics available to `snapshot`. */
  async load(state: RunState): Promise<void> {
    const id = state.meta.id;
    if (this.live.has(id) || this.past.has(id)) return;
    const stored = await loadConcepts(this.o.analysisFile(id)).catch(() => null);
    this.past.set(id, stored);
    while (this.past.size > PAST_CACHE) this.past.delete(this.past.keys().next().value!);
  }

  /** The concept state for a run's snapshot. */
  snapshot(id: string): ConceptState | undefined {
    return this.live.get(id)?.state ?? this.past.get(id) ?? undefined;
  }

  /** A run stopped streaming: wait for its jobs (the caller closes the shared writer afterwards). */
  async runEnded(id: string): Promise<void> {
    const run = this.live.get(id);
    if (!run) return;
    // Masks never completed: the held layers are scored on the image-level labels after all.
    for (const job of run.held.splice(0)) job(null);
    await this.idleOf(run);
    run.closed = true;
    this.live.delete(id);
    this.masks.delete(id);
    this.past.set(id, run.state);
  }

  /** Resolves when no concepts job of any run is queued or running. */
  async idle(): Promise<void> {
    await Promise.all([...this.live.values()].map((r) => this.idleOf(r)));
  }

  /** Stops writing (the server is closing). */
  close(): void {
    for (const run of this.live.values()) run.closed = true;
  }
}
