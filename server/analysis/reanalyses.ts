/** Every run's re-analyses (reanalysis.ts): the grids they made or left in the analysis log, and the ones running, by key. */
import type { SimilarityOptions } from '../../lib/analysis';
import type { ConvergenceGrid, ConvergencePatch, MetricName, ReanalysisProgress } from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import { applyStored, type AnalysisWriter } from './analysis-store';
import type { FrameRef } from './jobs';
import type { AnalysisPool } from './pool';
import { asReanalysisKey, Reanalysis, reanalysisKey, type ReanalysisKey } from './reanalysis';
import type { RunFrames } from './run-frames';

export interface ReanalysesOptions {
  pool: AnalysisPool;
  frames: RunFrames;
  /** The run's analysis writer; call `release` when done with it. */
  writerFor: (id: string) => { writer: AnalysisWriter; release: () => void };
  publish: (runId: string, patch: ConvergencePatch) => void;
}

/** One run's re-analyses: grids kept for live and past runs alike, and the jobs still running. */
interface RunReanalyses {
  grids: Map<ReanalysisKey, ConvergenceGrid>;
  running: Map<ReanalysisKey, Reanalysis>;
}

export class Reanalyses {
  private readonly runs = new Map<string, RunReanalyses>();

  constructor(private readonly o: ReanalysesOptions) {}

  private of(id: string): RunReanalyses {
    let run = this.runs.get(id);
    if (!run) this.runs.set(id, (run = { grids: new Map(), running: new Map() }));
    return run;
  }

  /** Starts (or returns) a re-analysis of the stored activations with another metric or options; progress goes to `progress`. */
  async start(state: RunState, metric: MetricName, opts: SimilarityOptions, progress: (p: ReanalysisProgress) => void): Promise<ReanalysisKey> {
    const id = state.meta.id;
    const key = reanalysisKey(metric, opts);
    const run = this.of(id);
    const existing = run.grids.get(key);
    if (run.running.has(key) || (existing && existing.pending === 0 && existing.steps.length === state.steps.length)) return key;
    const refs: Array<Array<FrameRef | null>> = state.layers.map(() => []);
    for (let c = 0; c < state.steps.length; c++) (await this.o.frames.refsAt(state, c)).forEach((r, l) => (refs[l][c] = r));
    const grids = run.grids;
    grids.delete(key);
    const { writer, release } = this.o.writerFor(id);
    const layers = state.layers.map((l) => l.name);
    const job = new Reanalysis({
      runId: id,
      key,
      metric,
      opts,
      layers,
      steps: [...state.steps],
      refs,
      pool: this.o.pool,
      progress,
      emit: (patch) => {
        applyStored(grids, patch, layers);
        writer.append({ type: 'convergence', reference: patch.reference ?? null, patch });
        this.o.publish(id, patch);
      },
    });
    run.running.set(key, job);
    void job.done.finally(() => {
      run.running.delete(key);
      release();
    });
    return key;
  }

  /** Cancels a running re-analysis; false when none runs under that key. */
  cancel(id: string, key: string): boolean {
    const k = asReanalysisKey(key);
    const job = k === null ? undefined : this.runs.get(id)?.running.get(k);
    job?.cancel();
    return Boolean(job);
  }

  /** A re-analysis grid read from a past run's analysis log (kept unless that re-analysis is running again). */
  adoptStored(id: string, key: ReanalysisKey, grid: ConvergenceGrid): void {
    const run = this.of(id);
    if (!run.running.has(key)) run.grids.set(key, grid);
  }

  /** A run's re-analysis grids, by key. */
  grids(id: string): ReadonlyMap<ReanalysisKey, ConvergenceGrid> | undefined {
    return this.runs.get(id)?.grids;
  }
}
