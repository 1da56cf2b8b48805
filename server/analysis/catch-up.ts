/**
 * Analysis on open: a stored run whose log came without (complete) stored analysis — an older export, a log from
 * another writer, a run cut off by a crash — is analysed with the server's live metrics when it is opened: every grid
 * extended to the log's checkpoints and filled against the final one (with stability, k and chance), and the concept
 * statistics of every checkpoint, in the workers, progressively, stored like live analysis so the next open is instant.
 */
import type { SimilarityOptions } from '../../lib/analysis';
import {
  applyConvergencePatch,
  emptyGrid,
  type AnalysisProgress,
  type ConvergenceCell,
  type ConvergenceGrid,
  type ConvergencePatch,
  type MetricName,
} from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import type { AnalysisWriter } from './analysis-store';
import type { ConceptsHub } from './concepts-tracker';
import { fillGrid, planSize } from './fill-grid';
import { sketchOf, type FrameRef } from './jobs';
import type { StoredLayout } from './offline';
import { PRIORITY, type AnalysisPool } from './pool';

/** Metrics whose comparisons yield k (the directions kept). */
const WITH_K: ReadonlySet<MetricName> = new Set(['svcca', 'svcca-k']);

/** Whether `a` is a prefix of `b`. */
const isPrefix = (a: readonly number[], b: readonly number[]) => a.length <= b.length && a.every((s, i) => s === b[i]);

/**
 * Whether a stored grid may need work for a log with these checkpoints (cheap: no log read). Null cells where a frame
 * was missing or not finite look the same as cells never computed; the plan, which reads the log, tells them apart.
 */
export function gridIncomplete(grid: ConvergenceGrid | undefined, steps: readonly number[], examples: number): boolean {
  if (!steps.length) return false;
  if (!grid || grid.pending > 0 || grid.steps.length !== steps.length || grid.reference !== steps[steps.length - 1]) return true;
  if (examples > 1 && grid.chance.some((c) => c === null)) return true;
  return grid.toNewest.some((row) => row.some((v) => v === null)) || grid.stability.some((row) => row.some((v, c) => c > 0 && v === null));
}

/** What one metric's grid needs: its head patch (new columns, the final reference) and the comparisons to make. */
interface GridWork {
  metric: MetricName;
  head: ConvergencePatch;
  toFinal: number[][];
  stability: number[][];
  chance: number[];
}

/** The work a stored grid needs for the log's layout; null when it is complete, or does not describe this log (left alone). */
export function planGrid(metric: MetricName, grid: ConvergenceGrid | undefined, layout: StoredLayout, refs: Array<Array<FrameRef | null>>): GridWork | null {
  const { steps } = layout;
  const n = steps.length;
  if (!n || (grid && !isPrefix(grid.steps, steps))) return null;
  const last = n - 1;
  const g = grid
    ? structuredClone(grid)
    : emptyGrid(
        metric,
        layout.layers.map((l) => l.name),
      );
  const head: ConvergencePatch = {
    metric,
    cells: [],
    ...(g.steps.length < n ? { addSteps: steps.slice(g.steps.length) } : {}),
    ...(g.reference !== steps[last] ? { reference: steps[last] } : {}),
  };
  applyConvergencePatch(g, head);
  const toFinal = refs.map((row, l) =>
    row[last] ? row.flatMap((f, c) => (f && (g.toNewest[l][c] === null || (WITH_K.has(metric) && g.k[l][c] === null)) ? [c] : [])) : [],
  );
  const stability = refs.map((row, l) => row.flatMap((f, c) => (c > 0 && f && row[c - 1] && g.stability[l][c] === null ? [c] : [])));
  const chance = layout.examples > 1 ? g.chance.flatMap((v, l) => (v === null ? [l] : [])) : [];
  if (!grid || head.addSteps || head.reference !== undefined || grid.pending > 0) return { metric, head, toFinal, stability, chance };
  return planSize({ toFinal, stability }) + chance.length ? { metric, head, toFinal, stability, chance } : null;
}

export interface CatchUpOptions {
  state: RunState;
  logFile: string;
  /** The log's layout, read with `finite: true` (the job waits for it, so `load` does not). */
  layout: Promise<StoredLayout>;
  /** The run's stored live grids, by metric; patched in place as results arrive. */
  grids: Map<string, ConvergenceGrid>;
  metrics: MetricName[];
  analysis: SimilarityOptions;
  pool: AnalysisPool;
  concepts: ConceptsHub;
  /** Chance baselines (null when one failed; never rejects). */
  chance: (metric: MetricName, units: number, examples: number) => Promise<number | null>;
  /** Stores and publishes one patch (already applied to `grids`). */
  emit: (patch: ConvergencePatch) => void;
  /** Where concept results are stored (the run's analysis log). */
  writer: AnalysisWriter;
  progress: (p: AnalysisProgress) => void;
}

/** One run's analysis on open; `done` settles when it has finished (or failed, or was cancelled). */
export class CatchUp {
  readonly done: Promise<void>;
  private cancelled = false;
  private state: AnalysisProgress;
  private examples = 0;
  private units: number[] = [];

  constructor(private readonly o: CatchUpOptions) {
    this.state = { status: 'running', done: 0, total: 0, parts: [] };
    this.done = this.run();
  }

  /** The grids being completed (the manager shows them while the job runs). */
  get grids(): Map<string, ConvergenceGrid> {
    return this.o.grids;
  }

  /** Progress as it stands (for snapshots). */
  get progress(): AnalysisProgress {
    return this.state;
  }

  /** Drops the work still queued (a trainer resumed the run, the server is closing). */
  cancel(): void {
    this.cancelled = true;
  }

  private async run(): Promise<void> {
    const { state, grids } = this.o;
    const id = state.meta.id;
    let layout: StoredLayout;
    try {
      layout = await this.o.layout;
    } catch (err) {
      this.state = { ...this.state, status: 'failed', message: (err as Error).message };
      return this.report(true);
    }
    this.examples = layout.examples;
    this.units = layout.layers.map((l) => l.units);
    const refs: Array<Array<FrameRef | null>> = layout.frames.map((row, l) =>
      layout.steps.map((_, c) =>
        row[c] && row[c]!.finite !== false
          ? { key: `${id}/${l}/${c}`, file: this.o.logFile, offset: row[c]!.offset, length: row[c]!.length, ...sketchOf(layout.layers[l]) }
          : null,
      ),
    );
    const work = this.o.metrics.flatMap((m) => planGrid(m, grids.get(m), layout, refs) ?? []);
    const concepts = this.o.concepts.missing(state, layout) ?? [];
    const conceptJobs = concepts.reduce((n, w) => n + w.frames.filter((f) => f.finite).length, 0);
    const total = work.reduce((n, w) => n + planSize(w) + w.chance.length, 0) + conceptJobs;
    this.state = { status: 'running', done: 0, total, parts: [...work.map((w) => w.metric), ...(conceptJobs ? ['concepts'] : [])] };
    this.report(true);
    const tick = (n: number) => {
      this.state = { ...this.state, done: this.state.done + n };
      this.report(false);
    };
    const wanted = () => !this.cancelled;
    try {
      for (const w of work) this.emit({ ...w.head, pending: planSize(w) });
      // Queued in the order a person reads the page: the default metric, the concepts, the other metrics, then chance levels.
      const jobs: Array<Promise<void>> = [];
      work.forEach((w, i) => {
        const buffer = new CellBuffer((cells) =>
          this.emit({ metric: w.metric, cells, pending: Math.max(0, (this.grid(w.metric)?.pending ?? 0) - cells.length) }),
        );
        jobs.push(
          fillGrid({
            ...w,
            opts: this.o.analysis,
            refs,
            pool: this.o.pool,
            priority: PRIORITY.backfill,
            wanted,
            emit: (cells) => buffer.add(cells),
            done: tick,
          }).finally(() => buffer.flush()),
        );
        if (i === 0 && concepts.length) jobs.push(this.o.concepts.catchUp(state, layout, concepts, this.o.writer, () => tick(1), wanted));
      });
      if (!work.length && concepts.length) jobs.push(this.o.concepts.catchUp(state, layout, concepts, this.o.writer, () => tick(1), wanted));
      jobs.push(...work.filter((w) => w.chance.length).map((w) => this.chance(w, tick)));
      await Promise.all(jobs);
      if (this.cancelled) throw new Error('cancelled');
      for (const w of work) this.emit({ metric: w.metric, cells: [], pending: 0 });
      this.state = { ...this.state, status: 'done', done: total };
    } catch (err) {
      this.state = { ...this.state, status: 'failed', message: this.cancelled ? 'cancelled' : (err as Error).message };
    }
    this.report(true);
  }

  private grid(metric: MetricName): ConvergenceGrid | undefined {
    return this.o.grids.get(metric);
  }

  private emit(patch: ConvergencePatch): void {
    if (this.cancelled) return;
    this.o.emit(patch);
  }

  private async chance(w: GridWork, tick: (n: number) => void): Promise<void> {
    const values = await Promise.all(
      w.chance.map(async (l) => {
        const v = await this.o.chance(w.metric, this.units[l], this.examples);
        tick(1);
        return [l, v] as const;
      }),
    );
    const chance = [...(this.grid(w.metric)?.chance ?? this.units.map(() => null))];
    for (const [l, v] of values) chance[l] = v;
    this.emit({ metric: w.metric, cells: [], chance });
  }

  private lastReport = 0;

  private report(force: boolean): void {
    const now = Date.now();
    if (!force && now - this.lastReport < 250) return;
    this.lastReport = now;
    this.o.progress(this.state);
  }
}

/** Cells gathered for up to 100 ms, so a fast stream of small results becomes a few patches (and stored records). */
class CellBuffer {
  private cells: ConvergenceCell[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly send: (cells: ConvergenceCell[]) => void) {}

  add(cells: ConvergenceCell[]): void {
    this.cells.push(...cells);
    this.timer ??= setTimeout(() => this.flush(), 100);
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (!this.cells.length) return;
    const cells = this.cells;
    this.cells = [];
    this.send(cells);
  }
}
