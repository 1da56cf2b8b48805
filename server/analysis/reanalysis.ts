/** Re-analysis of a stored run with another metric or options: computed in the workers at low priority, with progress and cancel, stored beside the live grids. */
import type { SimilarityOptions } from '../../lib/analysis';
import type { ConvergencePatch, MetricName, ReanalysisProgress } from '../../lib/protocol';
import type { FrameRef } from './jobs';
import { fillGrid, planSize } from './fill-grid';
import { PRIORITY, type AnalysisPool } from './pool';

/** A re-analysis grid's key: its metric and options ("svcca-k|k=10"), never a bare metric name (that keys a live grid). */
export type ReanalysisKey = string & { readonly __reanalysisKey: true };

export interface ReanalysisInput {
  runId: string;
  key: ReanalysisKey;
  metric: MetricName;
  opts: SimilarityOptions;
  layers: string[];
  steps: number[];
  /** refs[l][c] for every layer and checkpoint column. */
  refs: Array<Array<FrameRef | null>>;
  pool: AnalysisPool;
  /** Stores and broadcasts one patch of the new grid. */
  emit: (patch: ConvergencePatch) => void;
  progress: (p: ReanalysisProgress) => void;
}

/** The grid key of a metric with non-default options. */
export function reanalysisKey(metric: MetricName, opts: SimilarityOptions): ReanalysisKey {
  const parts: string[] = [metric];
  if (opts.k !== undefined) parts.push(`k=${opts.k}`);
  if (opts.threshold !== undefined) parts.push(`threshold=${opts.threshold}`);
  // Never the bare metric name: that key belongs to the live grid, which a re-analysis must not replace.
  if (parts.length === 1) parts.push('default');
  return parts.join('|') as ReanalysisKey;
}

/** A stored grid's key or a request's as a re-analysis key; null for a live grid's key (a bare metric name). */
export function asReanalysisKey(key: string): ReanalysisKey | null {
  return key.includes('|') ? (key as ReanalysisKey) : null;
}

/** A running re-analysis; `cancel()` drops what is still queued. */
export class Reanalysis {
  private cancelled = false;
  readonly done: Promise<void>;

  constructor(private readonly i: ReanalysisInput) {
    this.done = this.run();
  }

  cancel(): void {
    this.cancelled = true;
  }

  private async run(): Promise<void> {
    const { metric, key, steps, refs, layers } = this.i;
    const n = steps.length;
    const all = Array.from({ length: n }, (_, c) => c);
    const plan = { toFinal: layers.map(() => all), stability: layers.map(() => all.slice(1)) };
    const total = planSize(plan);
    let done = 0;
    const report = (status: ReanalysisProgress['status'], message?: string) =>
      this.i.progress({ key, metric, done, total, status, ...(message ? { message } : {}) });
    this.i.emit({ metric, key, addSteps: steps, reference: n ? steps[n - 1] : null, cells: [], pending: total });
    report('running');
    let lastReport = 0;
    try {
      await fillGrid({
        ...plan,
        metric,
        opts: this.i.opts,
        refs,
        pool: this.i.pool,
        priority: PRIORITY.backfill,
        wanted: () => !this.cancelled,
        emit: (cells) => this.i.emit({ metric, key, cells }),
        done: (count) => {
          done += count;
          if (Date.now() - lastReport > 200) {
            lastReport = Date.now();
            report('running');
          }
        },
      });
      done = total;
      this.i.emit({ metric, key, cells: [], pending: 0 });
      report('done');
    } catch (err) {
      report(this.cancelled ? 'cancelled' : 'failed', (err as Error).message);
    }
  }
}
