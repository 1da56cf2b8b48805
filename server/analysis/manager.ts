/** The server's analysis: wires the worker pool to live convergence, stored analysis, on-demand matrices and re-analyses, and answers for all of them. */
import path from 'node:path';
import type { SimilarityOptions } from '../../lib/analysis';
import {
  DEFAULT_METRIC,
  type AnalysisBacklog,
  type AnalysisProgress,
  type CompareMatrix,
  type ConvergencePatch,
  type ConvergenceState,
  type DecodedFrame,
  type LayerMatrix,
  type MetricName,
  type ReanalysisProgress,
  type RunSnapshot,
  runTopic,
} from '../../lib/protocol';
import type { FrameRef } from './jobs';
import type { RunRegistry, StoredFrame } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { analysisLog, type AnalysisLog } from './analysis-log';
import { analysisPath, type AnalysisWriter } from './analysis-store';
import { ChanceBaselines } from './chance-baselines';
import { ConceptsHub } from './concepts-tracker';
import type { GradcamRef } from './gradcam';
import { LayerMatrices } from './layer-matrices';
import { LiveAnalysis } from './live-analysis';
import { PastWriters } from './past-writers';
import { Prefetch } from './prefetch';
import type { AnalysisPool } from './pool';
import type { ProbeChunk } from './probe-chunks';
import { Reanalyses } from './reanalyses';
import { RunFrames } from './run-frames';
import { StoredAnalysis } from './stored-analysis';

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
  /** Where analysis failures are logged, one line each (analysis-log.ts; default: stdout). */
  log?: (line: string) => void;
  /** Memory for layers prepared while their checkpoint arrives (prefetch.ts; default PREFETCH_MAX_BYTES, 0: none). */
  prefetchBytes?: number;
}

export class AnalysisManager {
  /** runEnded calls still finishing (idle() waits for them). */
  private readonly ending = new Set<Promise<void>>();
  /** Analysis-log writers of past runs, shared by their analysis on open and re-analyses. */
  private readonly writers: PastWriters;
  private readonly live: LiveAnalysis;
  private readonly stored: StoredAnalysis;
  private readonly matrices: LayerMatrices;
  private readonly reanalyses: Reanalyses;
  private readonly frames: RunFrames;
  /** Layers prepared while their checkpoint arrives (prefetch.ts). */
  readonly prefetch: Prefetch;
  /** Concept statistics per run (server/analysis/concepts-tracker.ts). */
  readonly concepts: ConceptsHub;

  constructor(private readonly o: AnalysisManagerOptions) {
    const { registry, pool, liveMetrics, publish } = o;
    const log: AnalysisLog = analysisLog(o.log ?? ((line) => console.log(line)));
    const analysisFile = (id: string) => analysisPath(path.dirname(registry.logPath(id)));
    const writerFor = (id: string) => this.writerFor(id);
    const chance = new ChanceBaselines(pool, log);
    this.prefetch = new Prefetch(pool, o.prefetchBytes);
    this.writers = new PastWriters(analysisFile, log);
    const writers = this.writers;
    this.concepts = new ConceptsHub({
      pool,
      log,
      logPath: (id) => registry.logPath(id),
      analysisFile,
      publish: (id, patch) => registry.publish(runTopic(id), { run: { kind: 'concepts', patch } }),
    });
    const concepts = this.concepts;
    this.frames = new RunFrames({ registry, liveRefs: (id, c) => this.live.refsAt(id, c) });
    this.reanalyses = new Reanalyses({ pool, frames: this.frames, writerFor, publish });
    // What the stored and the live analysis share.
    const common = { registry, pool, liveMetrics, concepts, chance, writers, analysisFile, publish };
    this.stored = new StoredAnalysis({
      ...common,
      writerFor,
      reanalyses: this.reanalyses,
      isLive: (id) => this.live.has(id),
      liveWriter: (id) => this.live.writer(id),
      ...(o.publishProgress ? { publishProgress: o.publishProgress } : {}),
      ...(o.analysed ? { analysed: o.analysed } : {}),
    });
    this.live = new LiveAnalysis({
      ...common,
      log,
      prefetch: this.prefetch,
      ...(o.publishBacklog ? { publishBacklog: o.publishBacklog } : {}),
      analysingOnOpen: (id) => this.stored.analysingOnOpen(id),
      stopAnalysingOnOpen: (id) => this.stored.stopAnalysingOnOpen(id),
      started: (id) => this.stored.forget(id),
      ended: (id, grids) => {
        this.frames.forgetStreamed(id);
        this.stored.remember(id, grids);
        this.o.analysed?.(id);
      },
    });
    this.matrices = new LayerMatrices(pool, this.frames, chance);
    registry.onFrames((state, step, frames, decoded) => this.onFrames(state, step, frames, decoded));
  }

  private onFrames(state: RunState, step: number, frames: StoredFrame[], decoded: readonly DecodedFrame[]): void {
    if (step >= 0) return this.live.onCheckpoint(state, step, frames, decoded);
    // Concept masks and probe images: frames stored outside a checkpoint.
    this.frames.onProbeFrames(state, frames);
    this.concepts.onMasks(state, frames);
  }

  /** A frame of a live run's open checkpoint arrived, to be stored as it is (the collector's `frameArrived`). */
  frameArrived(state: RunState, frame: DecodedFrame): void {
    this.live.frameArrived(state.meta.id, frame);
  }

  /** The analysis writer of a run: the live one, or a past run's shared one (release it when done). */
  private writerFor(id: string): { writer: AnalysisWriter; release: () => void } {
    const live = this.live.writer(id);
    return live ? { writer: live, release: () => {} } : this.writers.acquire(id);
  }

  /** Layer × layer similarity at one checkpoint (the `layer-matrix` request), computed in the workers and cached. */
  layerMatrix(state: RunState, step: number, metric: MetricName): Promise<LayerMatrix> {
    return this.matrices.layerMatrix(state, step, metric);
  }

  /** Two runs' layers against each other at one step each (matched step when both have it, else each one's newest). */
  compare(a: RunState, b: RunState, metric: MetricName, stepA?: number, stepB?: number): Promise<CompareMatrix> {
    return this.matrices.compare(a, b, metric, stepA, stepB);
  }

  /** Where layer `l`'s frame of checkpoint `step` sits in the log (null: not sent, or not finite in a live run); BAD_REQUEST for an unknown step. */
  frameRef(state: RunState, step: number, l: number): Promise<FrameRef | null> {
    return this.frames.frameRef(state, step, l);
  }

  /** Where a run's Grad-CAM frames sit in its log, in step order. */
  gradcamRefs(state: RunState): Promise<GradcamRef[]> {
    return this.frames.gradcamRefs(state, this.live.has(state.meta.id) && !state.events.some((e) => e.type === 'resumed'));
  }

  /** Where a run's probe images sit in its log (none when its probe declares no imageSize). */
  imageChunks(state: RunState): Promise<ProbeChunk[]> {
    return this.frames.imageChunks(state);
  }

  /** The run as a viewer saw it live when `step` was the newest checkpoint (replay scrubbing). */
  runAt(state: RunState, step: number): Promise<RunSnapshot> {
    return this.stored.runAt(state, step);
  }

  /** Starts (or returns) a re-analysis of the stored activations with another metric or options; progress goes to `progress`. */
  reanalyse(state: RunState, metric: MetricName, opts: SimilarityOptions, progress: (p: ReanalysisProgress) => void): Promise<string> {
    return this.reanalyses.start(state, metric, opts, progress);
  }

  /** Cancels a running re-analysis. */
  cancelReanalysis(id: string, key: string): boolean {
    return this.reanalyses.cancel(id, key);
  }

  /**
   * Makes a past run's stored analysis available to `snapshot` (no-op for live runs); a run whose stored analysis is
   * missing or incomplete starts its analysis on open, whose results and progress then arrive as deltas.
   */
  load(state: RunState): Promise<void> {
    return this.stored.load(state);
  }

  /** Progress of a run's analysis on open, while it runs. */
  progress(id: string): AnalysisProgress | undefined {
    return this.stored.progress(id);
  }

  /** How far a live run's analysis is behind its checkpoints (undefined for past runs). */
  backlog(id: string): AnalysisBacklog | undefined {
    return this.live.backlog(id);
  }

  /** The convergence state for a run's snapshot. */
  snapshot(id: string): ConvergenceState | undefined {
    const base = this.live.grids(id) ?? Object.fromEntries(this.stored.grids(id) ?? []);
    const grids = { ...base, ...Object.fromEntries(this.reanalyses.grids(id) ?? []) };
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
    this.frames.streamEnded(id);
    if (!this.live.has(id)) return this.frames.forgetStreamed(id);
    await this.live.end(id);
  }

  /** Waits for every run's queued analysis, then for its results to be written to the analysis logs (tests and benches use this). */
  async idle(): Promise<void> {
    await this.prefetch.idle();
    await this.stored.idle();
    await this.writers.closed();
    await this.live.idle();
    await this.concepts.idle();
    await this.live.flush();
    // A run that is ending writes its last results and closes its log; wait for that too.
    await Promise.all(this.ending);
  }

  async close(): Promise<void> {
    await this.stored.close();
    await this.writers.closed();
    this.concepts.close();
    await this.live.close();
    await this.o.pool.close();
  }
}
