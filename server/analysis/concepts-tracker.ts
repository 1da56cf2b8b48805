/**
 * Live concept statistics of every run: per stored checkpoint, one `concepts` worker job per layer; each result is
 * stored in analysis.lwlog as a binary record of its per-unit values (concept-units.ts) and a `{type: 'concepts', patch}`
 * record of its summary, and the summary is broadcast as a delta. Past runs load the stored summaries. Memory per run
 * is O(layers × checkpoints) whatever the units: the per-unit values stay on disk and the `concept-units` request
 * reads the few units a view asks for.
 */
import { DEFAULT_IMAGE_QUANTILE, DETECTOR_IOU, defaultQuantile } from '../../lib/analysis/concepts';
import {
  applyConceptPatch,
  masksFirstExample,
  probeClassCount,
  ProtocolError,
  type ConceptMeta,
  type ConceptPatch,
  type ConceptState,
  type ConceptUnits,
  type ConceptUnitsParams,
} from '../../lib/protocol';
import { BoundedMap } from '../../lib/bounded-map';
import { addProbeChunks, type ProbeChunk } from './probe-chunks';
import { PAST_CACHE } from '../runs/past-cache';
import type { StoredFrame } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import type { AnalysisWriter } from './analysis-store';
import type { ConceptProbeWire, MasksRef } from './concepts-job';
import { cellKey, loadConceptSummaries, type StoredConcepts } from './concepts-store';
import { encodeUnitsRecord, readUnitSlices, type UnitsRef } from './concept-units';
import type { FrameRef } from './jobs';
import type { StoredLayout } from './offline';
import type { AnalysisLog } from './analysis-log';
import { isObsolete, PRIORITY, type AnalysisPool } from './pool';

export interface ConceptsHubOptions {
  pool: AnalysisPool;
  /** Where a concepts job or a stored read that failed is logged. */
  log: AnalysisLog;
  logPath(id: string): string;
  analysisFile(id: string): string;
  publish(id: string, patch: ConceptPatch): void;
}

interface LiveConcepts {
  state: ConceptState;
  /** Where each cell's per-unit values are in the analysis log. */
  units: Map<string, UnitsRef>;
  probe: ConceptProbeWire;
  writer: AnalysisWriter;
  chanceAsked: Set<number>;
  inflight: number;
  waiters: Array<() => void>;
  /** Jobs of spatial layers held until the masks the probe declares are complete (they follow the first checkpoint). */
  held: Array<(masks: MasksRef | null) => void>;
  /**
   * Whether spatial jobs still wait for masks: until a checkpoint arrives while jobs are held, so a trainer that declares
   * masks and never sends them holds one checkpoint's jobs at most.
   */
  awaitMasks: boolean;
  closed: boolean;
  /** Told of every finished job (the progress of an analysis on open). */
  onJob?: () => void;
  /** False once the jobs still queued are no longer wanted (an analysis on open cancelled). */
  wanted?: () => boolean;
}

/** The probe's labels as the worker jobs take them, or null when the probe has neither classes nor concepts. */
export function conceptProbe(state: RunState): { probe: ConceptProbeWire; meta: ConceptMeta } | null {
  const p = state.probeDecl;
  if (!p || (!p.labels && !p.concepts)) return null;
  const concepts = p.concepts ?? [];
  const categories = [...new Set(concepts.map((c) => c.category))];
  const classes = probeClassCount(p);
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
  private readonly past = new BoundedMap<string, StoredConcepts>(PAST_CACHE);
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
    return {
      key: `${id}/masks/${chunks[0].offset}`,
      file: this.o.logPath(id),
      chunks: chunks.map((c) => ({ offset: c.offset, length: c.length })),
      examples,
      concepts,
      h,
      w,
    };
  }

  /** Applies, stores and broadcasts a patch of summaries; `values` are a new cell's per-unit values (written first). */
  private emit(id: string, run: LiveConcepts, patch: ConceptPatch, values?: { l: number; step: number; packed: Float32Array }): void {
    applyConceptPatch(run.state, patch);
    if (run.closed) return;
    if (values) {
      const key = cellKey(values.l, values.step);
      void run.writer.appendBinary(encodeUnitsRecord(values.l, values.step, values.packed)).then((offset) => {
        if (offset !== null) run.units.set(key, { offset, format: 'units', step: values.step });
      });
    }
    run.writer.append({ type: 'concepts', patch });
    this.o.publish(id, patch);
  }

  private start(state: RunState, writer: AnalysisWriter): LiveConcepts | null {
    const id = state.meta.id;
    const found = conceptProbe(state);
    if (!found) return null;
    const run: LiveConcepts = {
      state: applyConceptPatch(null, { meta: found.meta })!,
      units: new Map(),
      probe: found.probe,
      writer,
      chanceAsked: new Set(),
      inflight: 0,
      waiters: [],
      held: [],
      awaitMasks: true,
      closed: false,
    };
    this.live.set(id, run);
    this.past.delete(id);
    this.emit(id, run, { meta: found.meta });
    // A resumed run: earlier checkpoints' cells come from the stored records (cells are keyed by step, so order does not matter).
    void loadConceptSummaries(this.o.analysisFile(id))
      .then(({ state: stored, units }) => {
        if (!stored || run.closed) return;
        for (const [key, ref] of units) if (!run.units.has(key)) run.units.set(key, ref);
        const cells = stored.cells.flat().filter((c) => c && !run.state.steps.includes(c.step));
        if (!cells.length) return;
        const patch: ConceptPatch = { cells: cells as NonNullable<(typeof cells)[number]>[] };
        applyConceptPatch(run.state, patch);
        this.o.publish(id, patch);
      })
      // The resumed run's earlier cells stay missing from the live view (the stored records are still there to export).
      .catch((err: unknown) => this.o.log('CONCEPTS_UNREADABLE', id, err, 'earlier checkpoints of a resumed run'));
    return run;
  }

  /** A checkpoint was stored: queue one job per finite layer frame. */
  onCheckpoint(state: RunState, step: number, frames: StoredFrame[], writer: AnalysisWriter): void {
    const run = this.live.get(state.meta.id) ?? this.start(state, writer);
    if (run) this.queue(run, state, step, frames);
  }

  /**
   * The checkpoints whose concept cells a stored run lacks, with the frames still to analyse (analysis on open);
   * null when its probe declares neither classes nor concepts. Call after `load`.
   */
  missing(state: RunState, layout: StoredLayout): Array<{ step: number; frames: StoredFrame[] }> | null {
    const found = conceptProbe(state);
    if (!found) return null;
    const stored = this.past.get(state.meta.id)?.state ?? null;
    const same = stored !== null && JSON.stringify(stored.layers) === JSON.stringify(found.meta.layers);
    const has = (l: number, step: number) => same && stored.cells[l]?.[stored.steps.indexOf(step)] != null;
    const out: Array<{ step: number; frames: StoredFrame[] }> = [];
    layout.steps.forEach((step, c) => {
      const frames: StoredFrame[] = [];
      layout.layers.forEach((layer, l) => {
        const f = layout.frames[l][c];
        if (f && f.kind !== 'sketch' && !has(found.meta.layers.indexOf(layer.name), step))
          frames.push({ layer: layer.name, offset: f.offset, length: f.length, shape: [], finite: f.finite ?? true });
      });
      if (frames.some((f) => f.finite)) out.push({ step, frames });
    });
    return out;
  }

  /** Analyses what `missing` found for a stored run, into its stored state; resolves when every job is done. */
  async catchUp(
    state: RunState,
    layout: StoredLayout,
    work: Array<{ step: number; frames: StoredFrame[] }>,
    writer: AnalysisWriter,
    onJob: () => void,
    wanted: () => boolean,
  ): Promise<void> {
    const id = state.meta.id;
    const found = conceptProbe(state);
    if (!found || this.live.has(id)) return;
    const past = this.past.get(id);
    const stored = past?.state ?? null;
    const same = stored !== null && JSON.stringify(stored.layers) === JSON.stringify(found.meta.layers);
    const units = same ? new Map(past!.units) : new Map<string, UnitsRef>();
    const run: LiveConcepts = {
      state: same ? stored : applyConceptPatch(null, { meta: found.meta })!,
      units,
      probe: found.probe,
      writer,
      chanceAsked: new Set(),
      inflight: 0,
      waiters: [],
      held: [],
      awaitMasks: false,
      closed: false,
      onJob,
      wanted,
    };
    this.live.set(id, run);
    if (!same) this.emit(id, run, { meta: found.meta });
    run.state.chance.forEach((c, l) => c && run.chanceAsked.add(l));
    this.masks.set(id, layout.masks);
    // The logits frame is read by every job of its checkpoint, so it is passed along even when its own cell exists.
    const logits = state.layers.find((l) => l.kind === 'logits' && l.units === run.probe.classes);
    for (const { step, frames } of work) {
      const c = layout.steps.indexOf(step);
      const l = logits ? layout.layers.findIndex((x) => x.name === logits.name) : -1;
      const f = l >= 0 ? layout.frames[l][c] : null;
      const extra =
        f && !frames.some((x) => x.layer === logits!.name)
          ? [{ layer: logits!.name, offset: f.offset, length: f.length, shape: [], finite: f.finite ?? true, skip: true }]
          : [];
      this.queue(run, state, step, [...frames, ...extra]);
    }
    await this.runEnded(id);
  }

  /** Queues one job per finite layer frame of a checkpoint (frames marked `skip` only serve as the logits). */
  private queue(run: LiveConcepts, state: RunState, step: number, frames: Array<StoredFrame & { skip?: boolean }>): void {
    const id = state.meta.id;
    const file = this.o.logPath(id);
    const ref = (f: StoredFrame, l: number): FrameRef => ({ key: `${id}/${l}/s${step}`, file, offset: f.offset, length: f.length });
    const logitsLayer = state.layers.findIndex((l) => l.kind === 'logits' && l.units === run.probe.classes);
    const logitsFrame = logitsLayer >= 0 ? frames.find((f) => f.layer === state.layers[logitsLayer].name && f.finite && f.kind !== 'sketch') : undefined;
    const masks = this.masksRef(id, run.probe.examples);
    let waitForMasks = !masks && Boolean(state.probeDecl?.maskSize) && run.awaitMasks;
    if (waitForMasks && run.held.length) {
      // A later checkpoint and the masks are still incomplete: they are not coming; score on the image-level labels.
      run.awaitMasks = waitForMasks = false;
      for (const job of run.held.splice(0)) job(null);
    }
    for (const f of frames) {
      const l = run.state.layers.indexOf(f.layer);
      // Concept statistics score single units: a sketch has none (docs/analysis.md, "Sketches").
      if (l < 0 || !f.finite || f.skip || f.kind === 'sketch') continue;
      const chance = !run.chanceAsked.has(l);
      run.chanceAsked.add(l);
      run.inflight++;
      const dispatch = (m: MasksRef | null) =>
        this.o.pool
          .run(
            {
              op: 'concepts',
              ref: ref(f, l),
              probe: run.probe,
              masks: m,
              logits: logitsFrame ? ref(logitsFrame, logitsLayer) : null,
              quantile: run.state.quantiles[l],
              imageQuantile: state.options.analysis?.conceptQuantile ?? DEFAULT_IMAGE_QUANTILE,
              threshold: run.state.threshold,
              chance,
            },
            PRIORITY.backfill,
            run.wanted,
          )
          .then((res) => {
            if (!res.ok) return this.o.log('CONCEPTS_FAILED', id, res, `${f.layer} at step ${step}`);
            const { chance: baseline, units: packed, ...summary } = res.concepts;
            this.emit(id, run, { cells: [{ l, step, ...summary }], ...(baseline ? { chance: [{ l, value: baseline }] } : {}) }, { l, step, packed });
          })
          .catch((err: unknown) => {
            // Dropped because an analysis on open was cancelled (or the server is closing): not a failure.
            if (!isObsolete(err)) this.o.log('CONCEPTS_FAILED', id, err, `${f.layer} at step ${step}`);
          })
          .finally(() => {
            run.onJob?.();
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

  /** Whether a stored run may lack concept cells (cheap: no log read; `missing` tells for sure). Call after `load`. */
  incomplete(state: RunState): boolean {
    if (!conceptProbe(state) || this.live.has(state.meta.id)) return false;
    const stored = this.past.get(state.meta.id)?.state;
    if (!stored) return state.steps.length > 0;
    return stored.steps.length !== state.steps.length || stored.cells.some((row) => row.length < stored.steps.length || row.some((c) => c === null));
  }

  /** Makes a past run's stored concept statistics available to `snapshot`. */
  async load(state: RunState): Promise<void> {
    const id = state.meta.id;
    if (this.live.has(id) || this.past.has(id)) return;
    const stored = await loadConceptSummaries(this.o.analysisFile(id)).catch((err: unknown): StoredConcepts => {
      // Shown as a run without stored concept statistics (an analysis on open may compute them again).
      this.o.log('CONCEPTS_UNREADABLE', id, err);
      return { state: null, units: new Map() };
    });
    this.past.set(id, stored);
  }

  /** The concept state for a run's snapshot (summaries only). */
  snapshot(id: string): ConceptState | undefined {
    return this.live.get(id)?.state ?? this.past.get(id)?.state ?? undefined;
  }

  /** The `concept-units` answer: units [from, from + count) of one layer at every computed step (the run is live or loaded). */
  async units(id: string, params: ConceptUnitsParams): Promise<ConceptUnits> {
    const live = this.live.get(id);
    const { state, units } = live ?? this.past.get(id) ?? { state: null, units: new Map<string, UnitsRef>() };
    if (!state) throw new ProtocolError('BAD_REQUEST', 'the run has no concept statistics (its probe declares neither class labels nor concepts)');
    const l = state.layers.indexOf(params.layer);
    if (l < 0) throw new ProtocolError('UNKNOWN_LAYER', `the run's concept statistics have no layer "${params.layer.slice(0, 200)}"`);
    const total = state.units[l];
    if (params.from >= total) throw new ProtocolError('BAD_REQUEST', `layer "${params.layer}" has ${total} units; from must be below that`);
    const count = Math.min(params.count, total - params.from);
    // Written records only: the values of a cell still in the writer's queue are not on disk yet.
    await live?.writer.flush();
    const steps = [...state.steps];
    const refs = steps.map((step, c) => (state.cells[l][c] ? (units.get(cellKey(l, step)) ?? null) : null));
    const values = await readUnitSlices(this.o.analysisFile(id), refs, { l, units: total, from: params.from, count, concepts: state.concepts.length });
    return {
      layer: params.layer,
      units: total,
      from: params.from,
      count,
      steps,
      best: values.map((v) => v?.best ?? null),
      iou: values.map((v) => v?.iou ?? null),
      selectivity: values.map((v) => v?.selectivity ?? null),
    };
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
    this.past.set(id, { state: run.state, units: run.units });
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
