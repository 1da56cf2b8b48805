/** Past runs' stored convergence: read on open (analysed on open when missing or incomplete, catch-up.ts), and the replay timelines read from it. */
import { BoundedMap } from '../../lib/bounded-map';
import type { AnalysisProgress, ConvergenceGrid, ConvergencePatch, MetricName, RunSnapshot } from '../../lib/protocol';
import { PAST_CACHE } from '../runs/past-cache';
import type { RunRegistry } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { applyStored, loadConvergence, type AnalysisWriter } from './analysis-store';
import { CatchUp, gridIncomplete } from './catch-up';
import type { ChanceBaselines } from './chance-baselines';
import type { ConceptsHub } from './concepts-tracker';
import { readLayout } from './offline';
import type { PastWriters } from './past-writers';
import type { AnalysisPool } from './pool';
import type { Reanalyses } from './reanalyses';
import { asReanalysisKey } from './reanalysis';
import { AnalysisTimeline, snapshotAt } from './timeline';

export interface StoredAnalysisOptions {
  registry: RunRegistry;
  pool: AnalysisPool;
  liveMetrics: MetricName[];
  concepts: ConceptsHub;
  chance: ChanceBaselines;
  reanalyses: Reanalyses;
  writers: PastWriters;
  analysisFile: (id: string) => string;
  /** The run's analysis writer; call `release` when done with it. */
  writerFor: (id: string) => { writer: AnalysisWriter; release: () => void };
  /** Whether the run's convergence is computed live (then nothing stored is loaded for it). */
  isLive: (id: string) => boolean;
  /** A live run's analysis writer. */
  liveWriter: (id: string) => AnalysisWriter | undefined;
  publish: (runId: string, patch: ConvergencePatch) => void;
  publishProgress?: (runId: string, progress: AnalysisProgress) => void;
  analysed?: (runId: string) => void;
}

export class StoredAnalysis {
  /** Past runs' live-metric grids, by metric. */
  private readonly past = new BoundedMap<string, Map<string, ConvergenceGrid>>(PAST_CACHE);
  private readonly timelines = new BoundedMap<string, AnalysisTimeline>(PAST_CACHE);
  /** Past runs whose stored analysis is being read. */
  private readonly loading = new Map<string, Promise<void>>();
  /** Stored runs being analysed on open (server/analysis/catch-up.ts). */
  private readonly catchUps = new Map<string, CatchUp>();

  constructor(private readonly o: StoredAnalysisOptions) {}

  /**
   * Makes a past run's stored analysis available to `grids` (no-op for live runs); a run whose stored analysis is
   * missing or incomplete starts its analysis on open, whose results and progress then arrive as deltas.
   */
  load(state: RunState): Promise<void> {
    const id = state.meta.id;
    // Two viewers opening a run at once share one load (and so one analysis on open).
    let loading = this.loading.get(id);
    if (!loading) {
      this.loading.set(id, (loading = this.loadPast(state).finally(() => this.loading.delete(id))));
    }
    return loading;
  }

  private async loadPast(state: RunState): Promise<void> {
    await this.o.concepts.load(state);
    const id = state.meta.id;
    if (this.o.isLive(id) || this.past.has(id)) return;
    const running = this.catchUps.get(id);
    if (running) {
      this.past.set(id, running.grids);
      return;
    }
    const stored = await loadConvergence(
      this.o.analysisFile(id),
      state.layers.map((l) => l.name),
    );
    const grids = new Map<string, ConvergenceGrid>();
    for (const [key, grid] of stored) {
      const reanalysis = asReanalysisKey(key);
      if (reanalysis) this.o.reanalyses.adoptStored(id, reanalysis, grid);
      else grids.set(key, grid);
    }
    this.past.set(id, grids);
    // A run a trainer is streaming into (its live analysis is being restored after a resume) is not a stored run.
    if (this.o.registry.getLive(id)) return;
    const examples = state.probe?.examples ?? 0;
    if (this.o.liveMetrics.some((m) => gridIncomplete(grids.get(m), state.steps, examples)) || this.o.concepts.incomplete(state)) this.catchUp(state, grids);
  }

  /** Starts the analysis on open of a stored run (server/analysis/catch-up.ts). */
  private catchUp(state: RunState, grids: Map<string, ConvergenceGrid>): void {
    const id = state.meta.id;
    const logFile = this.o.registry.logPath(id);
    const layers = state.layers.map((l) => l.name);
    const { writer, release } = this.o.writerFor(id);
    const job = new CatchUp({
      state,
      logFile,
      grids,
      writer,
      // Read lazily inside the job: the snapshot that follows `load` must not wait for a full read of the log.
      layout: readLayout(logFile, this.o.registry.logLimits, { finite: true }),
      metrics: this.o.liveMetrics,
      analysis: {
        ...(state.options.analysis?.k ? { k: state.options.analysis.k } : {}),
        ...(state.options.analysis?.threshold ? { threshold: state.options.analysis.threshold } : {}),
      },
      pool: this.o.pool,
      concepts: this.o.concepts,
      chance: (metric, units, examples) => this.o.chance.get(id, metric, units, examples),
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

  /** A past run's live-metric grids, while loaded. */
  grids(id: string): Map<string, ConvergenceGrid> | undefined {
    return this.past.get(id);
  }

  /** Progress of a run's analysis on open, while it runs. */
  progress(id: string): AnalysisProgress | undefined {
    return this.catchUps.get(id)?.progress;
  }

  /** Whether the run is being analysed on open. */
  analysingOnOpen(id: string): boolean {
    return this.catchUps.has(id);
  }

  /** A trainer resumed the run: its analysis on open (if any) stops, and the promise settles once it has. */
  async stopAnalysingOnOpen(id: string): Promise<void> {
    const catchUp = this.catchUps.get(id);
    catchUp?.cancel();
    await catchUp?.done;
  }

  /** The run's convergence is live now: what was loaded of it is stale. */
  forget(id: string): void {
    this.past.delete(id);
    this.timelines.delete(id);
  }

  /** A live run ended: its final grids stand for it as a past run. */
  remember(id: string, grids: Map<string, ConvergenceGrid>): void {
    this.past.set(id, grids);
    this.timelines.delete(id);
  }

  /** The run as a viewer saw it live when `step` was the newest checkpoint (replay scrubbing). */
  async runAt(state: RunState, step: number): Promise<RunSnapshot> {
    const id = state.meta.id;
    // A run whose analysis is still being written (live, or analysed on open) is read afresh each time.
    const writing = this.o.liveWriter(id) ?? (this.catchUps.has(id) ? this.o.writers.current(id) : undefined);
    let timeline = writing ? undefined : this.timelines.get(id);
    if (!timeline) {
      await writing?.flush();
      timeline = await AnalysisTimeline.read(
        this.o.analysisFile(id),
        state.layers.map((l) => l.name),
      );
      if (!writing) this.timelines.set(id, timeline);
    }
    return snapshotAt(state, step, timeline);
  }

  /** Resolves when every analysis on open has finished. */
  async idle(): Promise<void> {
    await Promise.all([...this.catchUps.values()].map((c) => c.done));
  }

  /** Cancels every analysis on open and waits for them to stop. */
  async close(): Promise<void> {
    for (const c of this.catchUps.values()) c.cancel();
    await this.idle();
  }
}
