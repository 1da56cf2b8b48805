/** Filling chosen cells of a stored run's convergence grid from its log: "to final" (with k) and stability, in the workers. */
import type { SimilarityOptions } from '../../lib/analysis';
import type { ConvergenceCell, MetricName } from '../../lib/protocol';
import { round } from './convergence';
import type { FrameRef } from './jobs';
import type { AnalysisPool } from './pool';

/** Columns compared per job: small, so other work never waits long behind one. */
const CHUNK = 8;

export interface FillPlan {
  metric: MetricName;
  opts: SimilarityOptions;
  /** refs[l][c] for every layer and checkpoint column. */
  refs: Array<Array<FrameRef | null>>;
  /** Per layer, the columns to compare with the last column (their `toNewest` and `k`). */
  toFinal: number[][];
  /** Per layer, the columns to compare with the column before them (their `stability`). */
  stability: number[][];
  pool: AnalysisPool;
  priority: number;
  /** False once the work is no longer wanted (cancel): queued jobs are dropped. */
  wanted: () => boolean;
  /** Computed cells, a chunk at a time. */
  emit: (cells: ConvergenceCell[]) => void;
  /** `n` more comparisons are finished. */
  done: (n: number) => void;
}

/** The comparisons a plan holds. */
export function planSize(p: Pick<FillPlan, 'toFinal' | 'stability'>): number {
  return [...p.toFinal, ...p.stability].reduce((n, cols) => n + cols.length, 0);
}

/** Computes every cell of the plan; rejects when a job fails for a reason other than its data (a cancel, a closed pool). */
export async function fillGrid(p: FillPlan): Promise<void> {
  const jobs: Array<Promise<void>> = [];
  p.refs.forEach((row, l) => {
    const final = row[row.length - 1];
    const toFinal = final ? p.toFinal[l].filter((c) => row[c]) : [];
    const stability = p.stability[l].filter((c) => c > 0 && row[c] && row[c - 1]);
    // Comparisons that cannot be made (a frame missing) count as done: their cells stay null.
    p.done(p.toFinal[l].length - toFinal.length + p.stability[l].length - stability.length);
    for (let i = 0; i < toFinal.length; i += CHUNK) {
      const cols = toFinal.slice(i, i + CHUNK);
      jobs.push(
        p.pool.run({ op: 'pairs', metric: p.metric, opts: p.opts, b: final!, as: cols.map((c) => row[c]!) }, p.priority, p.wanted).then((res) => {
          p.emit(
            cols.map((c, j) => ({ l, c, toNewest: res.ok ? round(res.pairs[j]?.value ?? null) : null, k: res.ok ? (res.pairs[j]?.k?.[0] ?? null) : null })),
          );
          p.done(cols.length);
        }),
      );
    }
    for (const c of stability) {
      jobs.push(
        p.pool.run({ op: 'pairs', metric: p.metric, opts: p.opts, b: row[c]!, as: [row[c - 1]!] }, p.priority, p.wanted).then((res) => {
          p.emit([{ l, c, stability: res.ok ? round(res.pairs[0]?.value ?? null) : null }]);
          p.done(1);
        }),
      );
    }
  });
  await Promise.all(jobs);
}
