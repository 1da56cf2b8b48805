/** Re-analysis of a stored run with another metric or options: computed in the workers at low priority, with progress and cancel, stored beside the live grids. */
import type { SimilarityOptions } from '../../lib/analysis';
import type { ConvergencePatch, MetricName, ReanalysisProgress } from '../../lib/protocol';
import type { FrameRef } from './jobs';
import { PRIORITY, type AnalysisPool } from './pool';

export interface ReanalysisInput {
  runId: string;
  key: string;
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
export function reanalysisKey(metric: MetricName, opts: SimilarityOptions): string {
  const parts: string[] = [metric];
  if (opts.k !== undefined) parts.push(`k=${opts.k}`);
  if (opts.threshold !== undefined) parts.push(`threshold=${opts.threshold}`);
  // Never the bare metric name: that key belongs to the live grid, which a re-analysis must not replace.
  if (parts.length === 1) parts.push('default');
  return parts.join('|');
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
    const last = n - 1;

    const total = layers.length * Math.max(0, 2 * n - 1);
    let done = 0;
    const report = (status: ReanalysisProgress['status'], message?: string) => this.i.progress({ key, metric, done, total, status, ...(message ? { message } : {}) });
    this.i.emit({ metric, key, addSteps: steps, reference: n ? steps[last] : null, cells: [], pending: total });
    report('running');
    const wanted = () => !this.cancelled;
    const jobs: Array<Promise<void>> = [];
    let lastReport = 0;
    for (let l = 0; l < layers.length; l++) {
      const final = refs[l][last];
      for (let c0 = 0; c0 < n; c0 += 8) {
        const cols = Array.from({ length: Math.min(8, n - c0) }, (_, i) => c0 + i).filter((c) => refs[l][c]);
        const job = async () => {
          if (final && cols.length) {
            const toFinal = await this.i.pool.run({ op: 'pairs', metric, opts: this.i.opts, b: final, as: cols.map((c) => refs[l][c]!) }, PRIORITY.backfill, wanted);
            const cells = cols.map((c, i) => ({ l, c, toNewest: toFinal.ok ? (toFinal.pairs?.[i]?.value ?? null) : null, k: toFinal.ok ? (toFinal.pairs?.[i]?.k?.[0] ?? null) : null }));
            this.i.emit({ metric, key, cells });
          }
          // Stability: each column against the one before it (one small job per column).
          const stab = await Promise.all(
            cols.filter((c) => c > 0 && refs[l][c - 1]).map(async (c) => {
              const r = await this.i.pool.run({ op: 'pairs', metric, opts: this.i.opts, b: refs[l][c]!, as: [refs[l][c - 1]!] }, PRIORITY.backfill, wanted);
              return { l, c, stability: r.ok ? (r.pairs?.[0]?.value ?? null) : null };
            }),
          );
          if (stab.length) this.i.emit({ metric, key, cells: stab });
          done += cols.length * 2;
          if (Date.now() - lastReport > 200) {
            lastReport = Date.now();
            report('running');
          }
        };
        jobs.push(job());
      }
    }
    try {
      await Promise.all(jobs);
      done = total;
      this.i.emit({ metric, key, cells: [], pending: 0 });
      report('done');
    } catch (err) {
      report(this.cancelled ? 'cancelled' : 'failed', (err as Error).message);
    }
  }
}
