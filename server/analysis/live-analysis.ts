/** Live runs' convergence (convergence.ts) with their advice, backlog and analysis log; a run resumed with history first gets its earlier analysis back. */
import type { AdviceEvent, AnalysisBacklog, ConvergenceGrid, ConvergencePatch, DecodedFrame, MetricName } from '../../lib/protocol';
import type { RunRegistry, StoredFrame } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { AdviceTracker, resolveAdvice } from './advice';
import type { AnalysisLog } from './analysis-log';
import { loadConvergence, type AnalysisWriter } from './analysis-store';
import { BacklogTracker } from './backlog';
import type { ChanceBaselines } from './chance-baselines';
import type { ConceptsHub } from './concepts-tracker';
import { RunConvergence } from './convergence';
import { sketchOf, type FrameRef } from './jobs';
import { readLayout } from './offline';
import type { PastWriters } from './past-writers';
import type { AnalysisPool } from './pool';
import type { Prefetch } from './prefetch';
import { asReanalysisKey } from './reanalysis';

export interface LiveAnalysisOptions {
  registry: RunRegistry;
  pool: AnalysisPool;
  /** Metrics computed live for every run (the first is computed first). */
  liveMetrics: MetricName[];
  concepts: ConceptsHub;
  chance: ChanceBaselines;
  writers: PastWriters;
  analysisFile: (id: string) => string;
  log: AnalysisLog;
  publish: (runId: string, patch: ConvergencePatch) => void;
  publishBacklog?: (runId: string, backlog: AnalysisBacklog) => void;
  /** Prepares layers while their checkpoint arrives (prefetch.ts). */
  prefetch?: Prefetch;
  /** Whether the run is being analysed on open (its checkpoints then wait for the live analysis to take over). */
  analysingOnOpen: (id: string) => boolean;
  /** Stops the run's analysis on open, if any; settles once it has. */
  stopAnalysingOnOpen: (id: string) => Promise<void>;
  /** The run's live analysis started: what was loaded of it as a past run is stale. */
  started: (id: string) => void;
  /** The run's live analysis ended and its log is closed: `grids` are its final grids. */
  ended: (id: string, grids: Map<string, ConvergenceGrid>) => void;
}

/** A live run's analysis: its convergence, its analysis log and how far it is behind. */
interface LiveEntry {
  conv: RunConvergence;
  writer: AnalysisWriter;
  backlog: BacklogTracker;
}

export class LiveAnalysis {
  private readonly live = new Map<string, LiveEntry>();
  /** Runs whose live analysis is being restored after a resume (later checkpoints queue behind it). */
  private readonly starting = new Map<string, Promise<void>>();

  constructor(private readonly o: LiveAnalysisOptions) {}

  /** A frame of a live run's open checkpoint arrived (not stored yet): its analysis may start on it (prefetch.ts). */
  frameArrived(id: string, frame: DecodedFrame): void {
    // Only a run whose live analysis runs now: a resumed run's restore reads the log first.
    if (!this.starting.has(id)) this.live.get(id)?.conv.frameArrived(frame);
  }

  /**
   * A checkpoint was stored: analyse it (after the run's earlier analysis is restored, for a resumed run). `decoded`:
   * its frames as they arrived (the registry's; only used synchronously here).
   */
  onCheckpoint(state: RunState, step: number, frames: StoredFrame[], decoded: readonly DecodedFrame[] = []): void {
    const id = state.meta.id;
    if (this.starting.has(id) || this.o.analysingOnOpen(id) || (!this.live.has(id) && state.steps.length > 1)) {
      const before = this.starting.get(id) ?? this.restore(state, step);
      // Not `decoded`: a waiting checkpoint must not hold its frames' memory, and nothing is prepared ahead during a restore.
      const next = before
        .then(() => this.checkpoint(state, step, frames))
        .catch((err: unknown) => this.o.log('RESTORE_FAILED', id, err, `checkpoint at step ${step}`));
      this.starting.set(id, next);
      void next.then(() => {
        if (this.starting.get(id) === next) this.starting.delete(id);
      });
      return;
    }
    this.checkpoint(state, step, frames, decoded);
  }

  private checkpoint(state: RunState, step: number, frames: StoredFrame[], decoded: readonly DecodedFrame[] = []): void {
    const entry = this.live.get(state.meta.id) ?? this.createEntry(state);
    entry.conv.onCheckpoint(step, frames, decoded);
    this.o.concepts.onCheckpoint(state, step, frames, entry.writer);
  }

  /** Live convergence for a run resumed after a restart: its stored grids and the frames of its checkpoints before `step`. */
  private async restore(state: RunState, step: number): Promise<void> {
    const id = state.meta.id;
    // A trainer resumed a run that was being analysed on open: the live analysis takes over from what is stored.
    await this.o.stopAnalysingOnOpen(id);
    await this.o.writers.closed(id);
    const names = state.layers.map((l) => l.name);
    const [layout, stored] = await Promise.all([
      readLayout(this.o.registry.logPath(id), this.o.registry.logLimits),
      loadConvergence(this.o.analysisFile(id), names),
    ]);
    // Later checkpoints may already be in the log (they queue behind this one): the earlier ones are those before `step`.
    const at = layout.steps.indexOf(step);
    const earlier = layout.steps.slice(0, at < 0 ? layout.steps.length : at);
    const grids = new Map<MetricName, ConvergenceGrid>();
    for (const [key, grid] of stored) {
      // A grid that stops short of the earlier checkpoints (a crash cut its analysis off) is extended, not replaced.
      if (asReanalysisKey(key) === null && grid.steps.length <= earlier.length && grid.steps.every((s, i) => s === earlier[i])) grids.set(grid.metric, grid);
    }
    const entry = this.createEntry(state, grids, earlier);
    for (let c = 0; c < earlier.length; c++) {
      entry.conv.restoreColumn(layout.layers.flatMap((l, li) => (layout.frames[li][c] ? [{ layer: l.name, ...layout.frames[li][c]!, finite: true }] : [])));
    }
  }

  private createEntry(state: RunState, restored?: Map<MetricName, ConvergenceGrid>, earlierSteps: number[] = []): LiveEntry {
    const id = state.meta.id;
    const writer = this.o.writers.create(id);
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
        analysis: {
          ...(state.options.analysis?.k ? { k: state.options.analysis.k } : {}),
          ...(state.options.analysis?.threshold ? { threshold: state.options.analysis.threshold } : {}),
        },
        pool: this.o.pool,
        ...(this.o.prefetch ? { prefetch: this.o.prefetch } : {}),
        chance: (metric, units, examples, sketch) => this.o.chance.get(id, metric, units, examples, sketch),
        log: this.o.log,
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
    this.o.started(id);
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
      .catch((err: unknown) => this.o.log('ADVICE_NOT_SENT', id, err, `freeze ${advice.layer} at step ${advice.step}`));
  }

  /** Whether the run's convergence is computed live. */
  has(id: string): boolean {
    return this.live.has(id);
  }

  /** A live run's frames at checkpoint column c (undefined for other runs). */
  refsAt(id: string, c: number): Array<FrameRef | null> | undefined {
    return this.live.get(id)?.conv.refsAt(c);
  }

  /** A live run's analysis writer. */
  writer(id: string): AnalysisWriter | undefined {
    return this.live.get(id)?.writer;
  }

  /** A live run's grids for its snapshot, by metric. */
  grids(id: string): Record<string, ConvergenceGrid> | undefined {
    return this.live.get(id)?.conv.snapshot();
  }

  /** How far a live run's analysis is behind its checkpoints (undefined for past runs). */
  backlog(id: string): AnalysisBacklog | undefined {
    return this.live.get(id)?.backlog.state();
  }

  /** A live run stopped streaming: finish its queued work, close its analysis log, then hand its grids over (`ended`). */
  async end(id: string): Promise<void> {
    const entry = this.live.get(id);
    if (!entry) return;
    entry.backlog.end();
    entry.conv.finish();
    await entry.conv.idle();
    entry.backlog.close();
    entry.conv.flush();
    await this.o.concepts.runEnded(id);
    // The analysis log is complete on disk before the run stops counting as live, so a replay read never caches half of it.
    await entry.writer.close();
    this.live.delete(id);
    this.o.ended(id, new Map(entry.conv.grids));
  }

  /** Resolves when no convergence job of a live run is queued or running. */
  async idle(): Promise<void> {
    await Promise.all([...this.live.values()].map((e) => e.conv.idle()));
  }

  /** Sends the cells still waiting for the 100 ms coalescing timer and waits for every live analysis log to be written. */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.live.values()].map((e) => {
        e.conv.flush();
        return e.writer.flush();
      }),
    );
  }

  /** Sends what is buffered and closes every live analysis log (the server is closing). */
  async close(): Promise<void> {
    await Promise.all(
      [...this.live.values()].map((e) => {
        e.conv.flush();
        return e.writer.close();
      }),
    );
    this.live.clear();
  }
}
