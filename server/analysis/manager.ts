/** Owns the analysis worker pool and every run's live convergence; loads stored analysis for past runs. */
import path from 'node:path';
import type { SimilarityOptions } from '../../lib/analysis';
import {
  DEFAULT_METRIC,
  imagesFirstExample,
  type AdviceEvent,
  type AnalysisBacklog,
  type AnalysisProgress,
  type CompareMatrix,
  type ConvergenceGrid,
  type ConvergencePatch,
  type ConvergenceState,
  type LayerMatrix,
  type MetricName,
  type ReanalysisProgress,
  type RunSnapshot,
} from '../../lib/protocol';
import { CHANCE_SEED, sketchOf, type FrameRef } from './jobs';
import { readLayout, type StoredLayout } from './offline';
import type { RunRegistry, StoredFrame } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { AdviceTracker, resolveAdvice } from './advice';
import { AnalysisWriter, analysisPath, applyStored, loadConvergence } from './analysis-store';
import { Reanalysis, reanalysisKey } from './reanalysis';
import { AnalysisTimeline, snapshotAt } from './timeline';
import { RunConvergence } from './convergence';
import { BacklogTracker } from './backlog';
import { ConceptsHub } from './concepts-tracker';
import { PRIORITY, type AnalysisPool } from './pool';
import { addProbeChunks, type ProbeChunk } from './probe-chunks';
import { addGradcamFrames, withGradcamRef, type GradcamRef } from './gradcam';
import { CatchUp, gridIncomplete } from './catch-up';
import { PastWriters } from './past-writers';

export interface AnalysisManagerOptions {
  registry: RunRegistry;
  pool: AnalysisPool;
  /** Metrics computed live for every run (the first is computed first). */
  liveMetrics: MetricName[];
  publish: (runId: string, patch: ConvergencePatch) => void;
  /** Progress of a stored run's analysis on open (default: not published). */
  publishProgress?: (runId: string, progress: AnalysisProgress) => void;
  /** Publishes how far a live run's analysis is behind its checkpoints (backlog.ts). */
  publishBacklog?: (runId: string, backlog: AnalysisBacklog) => void;
  /** A run's analysis is complete for now (it ended, or its analysis on open finished). */
  analysed?: (runId: string) => void;
}

const PAST_CACHE = 16;

/** A live run's analysis: its convergence, its analysis log and how far it is behind. */
interface LiveEntry {
  conv: RunConvergence;
  writer: AnalysisWriter;
  backlog: BacklogTracker;
}

const badRequest = (message: string) => Object.assign(new Error(message), { code: 'BAD_REQUEST' });

/** The column of a checkpoint step, or a BAD_REQUEST error. */
function columnOf(state: RunState, step: number): number {
  const c = state.steps.indexOf(step);
  if (c < 0) throw badRequest(`run "${state.meta.id}" has no checkpoint at step ${step}`);
  return c;
}


export class AnalysisManager {
  private readonly live = new Map<string, LiveEntry>();
  /** runEnded calls still finishing (idle() waits for them). */
  private readonly ending = new Set<Promise<void>>();
  private readonly past = new Map<string, Map<string, ConvergenceGrid>>();
  /** Re-analysis grids by run, then key (kept for live and past runs alike). */
  private readonly extra = new Map<string, Map<string, ConvergenceGrid>>();
  private readonly reanalyses = new Map<string, Reanalysis>();
  private readonly timelines = new Map<string, AnalysisTimeline>();
  /** Runs whose live analysis is being restored after a resume (later checkpoints queue behind it). */
  private readonly starting = new Map<string, Promise<void>>();
  private readonly chanceCache = new Map<string, Promise<number | null>>();
  private readonly matrices = new Map<string, LayerMatrix>();
  private readonly layouts = new Map<string, StoredLayout>();
  /** Probe images chunks of live runs, as they are stored (past runs: their layout). */
  private readonly images = new Map<string, ProbeChunk[]>();
  /** Grad-CAM frames of live runs, as they are stored (past runs: their layout). */
  private readonly gradcam = new Map<string, GradcamRef[]>();
  /** Past runs whose stored analysis is being read. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Stored runs being analysed on open (server/analysis/catch-up.ts). */
  private readonly catchUps = new Map<string, CatchUp>();
  /** Analysis-log writers of past runs, shared by their analysis on open and re-analyses. */
  private readonly writers: PastWriters;
  /** Concept statistics per run (server/analysis/concepts-tracker.ts). */
  readonly concepts: ConceptsHub;

  constructor(private readonly o: AnalysisManagerOptions) {
    this.writers = new PastWriters((id) => analysisPath(this.runDir(id)));
    o.registry.onFrames((state, step, frames) => this.onFrames(state, step, frames));
    this.concepts = new ConceptsHub({
      pool: o.pool,
      logPath: (id) => o.registry.logPath(id),
      analysisFile: (id) => analysisPath(this.runDir(id)),
      publish: (id, patch) => o.registry.publish(`run:${id}`, { run: { kind: 'concepts', patch } }),
    });
  }

  private runDir(id: string): string {
    return path.dirname(this.o.registry.logPath(id));
  }

  private onFrames(state: RunState, step: number, frames: StoredFrame[]): void {
    const id = state.meta.id;
    if (step < 0) {
      // Concept masks and probe images: frames stored outside a checkpoint.
      const images = addProbeChunks(this.images.get(id) ?? [], frames, imagesFirstExample);
      if (images.length) this.images.set(id, images);
      this.onGradcam(state, frames);
      return this.concepts.onMasks(state, frames);
    }
    // A run resumed with history first gets its earlier columns and stored grids back; checkpoints wait in order.
    if (this.starting.has(id) || this.catchUps.has(id) || (!this.live.has(id) && state.steps.length > 1)) {
      const before = this.starting.get(id) ?? this.restore(state, step);
      const next = before.then(() => this.checkpoint(state, step, frames)).catch(() => {});
      this.starting.set(id, next);
      void next.then(() => {
        if (this.starting.get(id) === next) this.starting.delete(id);
      });
      return;
    }
    this.checkpoint(state, step, frames);
  }

  private checkpoint(state: RunState, step: number, frames: StoredFrame[]): void {
    const entry = this.live.get(state.meta.id) ?? this.createEntry(state);
    entry.conv.onCheckpoint(step, frames);
    this.concepts.onCheckpoint(state, step, frames, entry.writer);
  }

  /** Live convergence for a run resumed after a restart: its stored grids and the frames of its checkpoints before `step`. */
  private async restore(state: RunState, step: number): Promise<void> {
    const id = state.meta.id;
    // A trainer resumed a run that was being analysed on open: the live analysis takes over from what is stored.
    const catchUp = this.catchUps.get(id);
    catchUp?.cancel();
    await catchUp?.done;
    await this.writers.closed(id);
    const names = state.layers.map((l) => l.name);
    const [layout, stored] = await Promise.all([readLayout(this.o.registry.logPath(id), this.o.registry.logLimits), loadConvergence(analysisPath(this.runDir(id)), names)]);
    // Later checkpoints may already be in the log (they queue behind this one): the earlier ones are those before `step`.
    const at = layout.steps.indexOf(step);
    const earlier = layout.steps.slice(0, at < 0 ? layout.steps.length : at);
    const grids = new Map<MetricName, ConvergenceGrid>();
    for (const [key, grid] of stored) {
      // A grid that stops short of the earlier checkpoints (a crash cut its analysis off) is extended, not replaced.
      if (!key.includes('|') && grid.steps.length <= earlier.length && grid.steps.every((s, i) => s === earlier[i])) grids.set(grid.metric, grid);
    }
    const entry = this.createEntry(state, grids, earlier);
    for (let c = 0; c < earlier.length; c++) {
      entry.conv.restoreColumn(layout.layers.flatMap((l, li) => (layout.frames[li][c] ? [{ layer: l.name, ...layout.frames[li][c]!, finite: true }] : [])));
    }
  }

  private createEntry(state: RunState, restored?: Map<MetricName, ConvergenceGrid>, earlierSteps: number[] = []): LiveEntry {
    const id = state.meta.id;
    const writer = this.writers.create(id);
    const adviceConfig = resolveAdvice(state.options.advice, this.o.liveMetrics);
    const advice = new AdviceTracker(adviceConfig, state.layers, state.advice, (a) => this.giveAdvice(id, a));
    const metrics = this.o.liveMetrics.includes(adviceConfig.metric) ? this.o.liveMetrics : [...this.o.liveMetrics, adviceConfig.metric];
    const backlog = new BacklogTracker(metrics[0], (b) => this.o.publishBacklog?.(id, b));
    const conv = new RunConvergence(
      {
        runId: id,
        logFile: this.o.registry.logPath(id),
        layers: state.layers.map((l) => ({ name: l.name, units: l.units, ...sketchOf(l) })),
        examples: state.probe?.examples ?? 0,
        metrics,
        advice,
        backlog,
        analysis: { ...(state.options.analysis?.k ? { k: state.options.analysis.k } : {}), ...(state.options.analysis?.threshold ? { threshold: state.options.analysis.threshold } : {}) },
        pool: this.o.pool,
        chance: (metric, units, examples, sketch) => this.chance(metric, units, examples, sketch),
        emit: (patch, reference) => {
          writer.append({ type: 'convergence', reference, patch });
          this.o.publish(id, patch);
        },
      },
      restored,
      earlierSteps,
    );
    const entry = { conv, writer, backlog };
    this.live.set(id, entry);
    this.past.delete(id);
    this.timelines.delete(id);
    return entry;
  }

  /** Stores advice in the run log (so it survives restarts), shows it in the views and tells the trainer. */
  private giveAdvice(id: string, advice: AdviceEvent): void {
    // Advice is for a trainer that is still training: a run that already ended gets none.
    const run = this.o.registry.getLive(id);
    if (!run) return;
    void this.o.registry
      .appendEvent(run, { type: 'advice', advice })
      .then(() => run.owner.notify({ type: 'advice', runId: id, layer: advice.layer, step: advice.step, action: 'freeze', evidence: advice.evidence }))
      .catch(() => {});
  }

  /** Chance baseline of a metric for a layer shape (and sketch size, for a sketched layer), computed once per shape. */
  chance(metric: MetricName, units: number, examples: number, sketch?: number): Promise<number | null> {
    const key = `${metric}|${units}|${examples}|${sketch ?? ''}`;
    let p = this.chanceCache.get(key);
    if (!p) {
      p = this.o.pool
        .run({ op: 'chance', metric, opts: {}, units: Math.min(units, examples - 1), examples, seed: CHANCE_SEED, ...(sketch && metric !== 'pwcca' ? { sketch } : {}) }, PRIORITY.idle)
        .then((r) => (r.ok ? r.chance : null))
        .catch(() => null);
      this.chanceCache.set(key, p);
    }
    return p;
  }

  /** Layer × layer similarity at one checkpoint (the `layer-matrix` request), computed in the workers and cached. */
  async layerMatrix(state: RunState, step: number, metric: MetricName): Promise<LayerMatrix> {
    const id = state.meta.id;
    const key = `${id}|${step}|${metric}`;
    const cached = this.matrices.get(key);
    if (cached) return cached;
    const refs = await this.refsAt(state, columnOf(state, step));
    const n = refs.length;
    const values: Array<Array<number | null>> = refs.map(() => new Array<number | null>(n).fill(null));
    await Promise.all(
      refs.map(async (b, i) => {
        const as = refs.slice(0, i + 1);
        if (!b || as.some((a) => !a)) return;
        const res = await this.o.pool.run({ op: 'pairs', metric, opts: {}, b, as: as as FrameRef[] }, PRIORITY.request);
        if (!res.ok) return;
        res.pairs.forEach((p, j) => {
          values[i][j] = p.value;
          values[j][i] = p.value;
        });
      }),
    );
    const units = [...state.layers.map((l) => l.units)].sort((a, b) => a - b);
    const examples = state.probe?.examples ?? 0;
    const chance = units.length && examples > 1 ? await this.chance(metric, units[Math.floor(units.length / 2)], examples) : null;
    const matrix: LayerMatrix = { metric, step, layers: state.layers.map((l) => l.name), values, chance };
    this.matrices.set(key, matrix);
    while (this.matrices.size > 256) this.matrices.delete(this.matrices.keys().next().value!);
    return matrix;
  }

  /** Every layer's frame at checkpoint column c: from the live run's refs, or from the stored log's layout. */
  private async refsAt(state: RunState, c: number): Promise<Array<FrameRef | null>> {
    const id = state.meta.id;
    const live = this.live.get(id);
    if (live) return live.conv.refsAt(c);
    const file = this.o.registry.logPath(id);
    let layout = this.layouts.get(id);
    if (!layout || layout.steps.length <= c) this.layouts.set(id, (layout = await readLayout(file, this.o.registry.logLimits)));
    return layout.frames.map((f, l) => (f[c] ? { key: `${id}/${l}/${c}`, file, ...f[c]!, ...sketchOf(layout.layers[l]) } : null));
  }

  /** Where layer `l`'s frame of checkpoint `step` sits in the log (null: not sent, or not finite in a live run); BAD_REQUEST for an unknown step. */
  async frameRef(state: RunState, step: number, l: number): Promise<FrameRef | null> {
    return (await this.refsAt(state, columnOf(state, step)))[l] ?? null;
  }

  /** Grad-CAM frames were stored: remember where, and tell the run's viewers which step has maps. */
  private onGradcam(state: RunState, frames: StoredFrame[]): void {
    const id = state.meta.id;
    const before = this.gradcam.get(id) ?? [];
    const after = addGradcamFrames(before, frames);
    if (after === before) return;
    this.gradcam.set(id, after);
    for (const r of after) if (frames.some((f) => f.offset === r.offset)) this.o.registry.publish(`run:${id}`, { run: { kind: 'gradcam', step: r.step, layer: r.source } });
  }

  /** Where a run's Grad-CAM frames sit in its log, in step order: the stored layout plus those stored since it was read. */
  async gradcamRefs(state: RunState): Promise<GradcamRef[]> {
    const id = state.meta.id;
    // A run streaming into this server since its start: every frame it stored went through onGradcam, no log scan needed.
    if (this.live.has(id) && !state.events.some((e) => e.type === 'resumed')) return this.gradcam.get(id) ?? [];
    let layout = this.layouts.get(id);
    if (!layout) this.layouts.set(id, (layout = await readLayout(this.o.registry.logPath(id), this.o.registry.logLimits)));
    const live = this.gradcam.get(id);
    return (live ?? []).reduce(withGradcamRef, layout.gradcam);
  }

  /** Where a run's probe images sit in its log (none when its probe declares no imageSize). */
  async imageChunks(state: RunState): Promise<ProbeChunk[]> {
    const id = state.meta.id;
    if (!state.probeDecl?.imageSize) return [];
    const live = this.images.get(id);
    if (live) return live;
    let layout = this.layouts.get(id);
    if (!layout) this.layouts.set(id, (layout = await readLayout(this.o.registry.logPath(id), this.o.registry.logLimits)));
    return layout.images;
  }

  /** Two runs' layers against each other at one step each (matched step when both have it, else each one's newest). */
  async compare(a: RunState, b: RunState, metric: MetricName, stepA?: number, stepB?: number): Promise<CompareMatrix> {
    if (!a.probe || !b.probe || a.probe.examples !== b.probe.examples) {
      throw badRequest(`the runs' probe sets differ (${a.probe?.examples ?? 0} vs ${b.probe?.examples ?? 0} examples): layers can only be compared on the same probe set`);
    }
    if (a.labels && b.labels && a.labels.some((y, i) => y !== b.labels![i])) throw badRequest("the runs' probe labels differ: they were not shown the same probe set");
    const sa = stepA ?? (stepB !== undefined && a.steps.includes(stepB) ? stepB : a.lastStep);
    const sb = stepB ?? (sa !== null && b.steps.includes(sa) ? sa : b.lastStep);
    if (sa === null || sb === null) throw badRequest('both runs need at least one checkpoint');
    const [ra, rb] = await Promise.all([this.refsAt(a, columnOf(a, sa)), this.refsAt(b, columnOf(b, sb))]);
    const as = ra.filter((r): r is FrameRef => r !== null);
    const values = ra.map(() => rb.map(() => null as number | null));
    await Promise.all(
      rb.map(async (ref, j) => {
        if (!ref || !as.length) return;
        const res = await this.o.pool.run({ op: 'pairs', metric, opts: {}, b: ref, as }, PRIORITY.request);
        if (!res.ok) return;
        let k = 0;
        ra.forEach((r, i) => {
          if (r) values[i][j] = res.pairs[k++].value;
        });
      }),
    );
    const units = [...a.layers, ...b.layers].map((l) => l.units).sort((x, y) => x - y);
    const chance = units.length ? await this.chance(metric, units[Math.floor(units.length / 2)], a.probe.examples) : null;
    return { metric, runs: [a.meta.id, b.meta.id], steps: [sa, sb], layers: [a.layers.map((l) => l.name), b.layers.map((l) => l.name)], values, chance };
  }

  /** The run as a viewer saw it live when `step` was the newest checkpoint (replay scrubbing). */
  async runAt(state: RunState, step: number): Promise<RunSnapshot> {
    const id = state.meta.id;
    // A run whose analysis is still being written (live, or analysed on open) is read afresh each time.
    const writing = this.live.get(id)?.writer ?? (this.catchUps.has(id) ? this.writers.current(id) : undefined);
    let timeline = writing ? undefined : this.timelines.get(id);
    if (!timeline) {
      await writing?.flush();
      timeline = await AnalysisTimeline.read(analysisPath(this.runDir(id)), state.layers.map((l) => l.name));
      if (!writing) this.timelines.set(id, timeline);
      while (this.timelines.size > PAST_CACHE) this.timelines.delete(this.timelines.keys().next().value!);
    }
    return snapshotAt(state, step, timeline);
  }

  /** Starts (or returns) a re-analysis of the stored activations with another metric or options; progress goes to `progress`. */
  async reanalyse(state: RunState, metric: MetricName, opts: SimilarityOptions, progress: (p: ReanalysisProgress) => void): Promise<string> {
    const id = state.meta.id;
    const key = reanalysisKey(metric, opts);
    const running = this.reanalyses.get(`${id}|${key}`);
    const existing = this.extra.get(id)?.get(key);
    if (running || (existing && existing.pending === 0 && existing.steps.length === state.steps.length)) return key;
    const refs: Array<Array<FrameRef | null>> = state.layers.map(() => []);
    for (let c = 0; c < state.steps.length; c++) (await this.refsAt(state, c)).forEach((r, l) => (refs[l][c] = r));
    const grids = this.extra.get(id) ?? new Map<string, ConvergenceGrid>();
    this.extra.set(id, grids);
    grids.delete(key);
    const { writer, release } = this.writerFor(id);
    const layers = state.layers.map((l) => l.name);
    const job = new Reanalysis({
      runId: id, key, metric, opts, layers, steps: [...state.steps], refs, pool: this.o.pool, progress,
      emit: (patch) => {
        applyStored(grids, patch, layers);
        writer.append({ type: 'convergence', reference: patch.reference ?? null, patch });
        this.o.publish(id, patch);
      },
    });
    this.reanalyses.set(`${id}|${key}`, job);
    void job.done.finally(() => {
      this.reanalyses.delete(`${id}|${key}`);
      release();
    });
    return key;
  }

  /** Cancels a running re-analysis. */
  cancelReanalysis(id: string, key: string): boolean {
    const job = this.reanalyses.get(`${id}|${key}`);
    job?.cancel();
    return Boolean(job);
  }

  /**
   * Makes a past run's stored analysis available to `snapshot` (no-op for live runs); a run whose stored analysis is
   * missing or incomplete starts its analysis on open, whose results and progress then arrive as deltas.
   */
  async load(state: RunState): Promise<void> {
    const id = state.meta.id;
    // Two viewers opening a run at once share one load (and so one analysis on open).
    let loading = this.loading.get(id);
    if (!loading) {
      this.loading.set(id, (loading = this.loadPast(state).finally(() => this.loading.delete(id))));
    }
    return loading;
  }

  private async loadPast(state: RunState): Promise<void> {
    await this.concepts.load(state);
    const id = state.meta.id;
    if (this.live.has(id) || this.past.has(id)) return;
    const running = this.catchUps.get(id);
    if (running) {
      this.past.set(id, running.grids);
      return;
    }
    const stored = await loadConvergence(analysisPath(this.runDir(id)), state.layers.map((l) => l.name));
    const grids = new Map<string, ConvergenceGrid>();
    for (const [key, grid] of stored) {
      if (key.includes('|')) {
        if (!this.extra.has(id)) this.extra.set(id, new Map());
        if (!this.reanalyses.has(`${id}|${key}`)) this.extra.get(id)!.set(key, grid);
      } else grids.set(key, grid);
    }
    this.past.set(id, grids);
    while (this.past.size > PAST_CACHE) this.past.delete(this.past.keys().next().value!);
    // A run a trainer is streaming into (its live analysis is being restored after a resume) is not a stored run.
    if (this.o.registry.getLive(id)) return;
    const examples = state.probe?.examples ?? 0;
    if (this.o.liveMetrics.some((m) => gridIncomplete(grids.get(m), state.steps, examples)) || this.concepts.incomplete(state)) this.catchUp(state, grids);
  }

  /** Starts the analysis on open of a stored run (server/analysis/catch-up.ts). */
  private catchUp(state: RunState, grids: Map<string, ConvergenceGrid>): void {
    const id = state.meta.id;
    const logFile = this.o.registry.logPath(id);
    const layers = state.layers.map((l) => l.name);
    const { writer, release } = this.writerFor(id);
    const job = new CatchUp({
      state, logFile, grids, writer,
      // Read lazily inside the job: the snapshot that follows `load` must not wait for a full read of the log.
      layout: readLayout(logFile, this.o.registry.logLimits, { finite: true }),
      metrics: this.o.liveMetrics,
      analysis: { ...(state.options.analysis?.k ? { k: state.options.analysis.k } : {}), ...(state.options.analysis?.threshold ? { threshold: state.options.analysis.threshold } : {}) },
      pool: this.o.pool,
      concepts: this.concepts,
      chance: (metric, units, examples) => this.chance(metric, units, examples),
      emit: (patch) => {
        applyStored(grids, patch, layers);
        writer.append({ type: 'convergence', reference: grids.get(patch.metric)?.reference ?? null, patch });
        this.o.publish(id, patch);
      },
      progress: (p) => this.o.publishProgress?.(id, p),
    });
    this.catchUps.set(id, job);
    void job.done.finally(() => {
      if (this.catchUps.get(id) === job) this.catchUps.delete(id);
      this.timelines.delete(id);
      release();
      this.o.analysed?.(id);
    });
  }

  /** Progress of a run's analysis on open, while it runs. */
  progress(id: string): AnalysisProgress | undefined {
    return this.catchUps.get(id)?.progress;
  }

  /** How far a live run's analysis is behind its checkpoints (undefined for past runs). */
  backlog(id: string): AnalysisBacklog | undefined {
    return this.live.get(id)?.backlog.state();
  }

  /** The analysis writer of a run: the live one, or a past run's shared one (release it when done). */
  private writerFor(id: string): { writer: AnalysisWriter; release: () => void } {
    const live = this.live.get(id);
    return live ? { writer: live.writer, release: () => {} } : this.writers.acquire(id);
  }

  /** The convergence state for a run's snapshot. */
  snapshot(id: string): ConvergenceState | undefined {
    const live = this.live.get(id);
    const base = live ? live.conv.snapshot() : this.past.has(id) ? Object.fromEntries(this.past.get(id)!) : undefined;
    const grids = { ...base, ...Object.fromEntries(this.extra.get(id) ?? []) };
    if (Object.keys(grids).length === 0) return undefined;
    return { defaultMetric: DEFAULT_METRIC, grids };
  }

  /** A run stopped streaming: finish its queued work, then close its analysis log. */
  async runEnded(id: string): Promise<void> {
    const ending = this.endRun(id);
    this.ending.add(ending);
    try {
      await ending;
    } finally {
      this.ending.delete(ending);
    }
  }

  private async endRun(id: string): Promise<void> {
    this.images.delete(id);
    const entry = this.live.get(id);
    if (!entry) return this.forgetStreamed(id);
    entry.backlog.end();
    entry.conv.finish();
    await entry.conv.idle();
    entry.backlog.close();
    entry.conv.flush();
    await this.concepts.runEnded(id);
    // The analysis log is complete on disk before the run stops counting as live, so a replay read never caches half of it.
    await entry.writer.close();
    this.live.delete(id);
    this.forgetStreamed(id);
    this.past.set(id, new Map(entry.conv.grids));
    this.timelines.delete(id);
    this.o.analysed?.(id);
  }

  /** Once a run no longer counts as live: its Grad-CAM frames are read from its log, and a layout read while it streamed lacks what came after. */
  private forgetStreamed(id: string): void {
    this.gradcam.delete(id);
    this.layouts.delete(id);
  }

  /** Waits for every run's queued analysis, then for its results to be written to the analysis logs (tests and benches use this). */
  async idle(): Promise<void> {
    await Promise.all([...this.catchUps.values()].map((c) => c.done));
    await this.writers.closed();
    await Promise.all([...this.live.values()].map((e) => e.conv.idle()));
    await this.concepts.idle();
    await Promise.all(
      [...this.live.values()].map((e) => {
        e.conv.flush(); // cells still waiting for the 100 ms coalescing timer
        return e.writer.flush();
      }),
    );
    // A run that is ending writes its last results and closes its log; wait for that too.
    await Promise.all(this.ending);
  }

  async close(): Promise<void> {
    for (const c of this.catchUps.values()) c.cancel();
    await Promise.all([...this.catchUps.values()].map((c) => c.done));
    await this.writers.closed();
    this.concepts.close();
    await Promise.all([...this.live.values()].map((e) => (e.conv.flush(), e.writer.close())));
    this.live.clear();
    await this.o.pool.close();
  }
}
