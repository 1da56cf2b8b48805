/** Live convergence of one run: per new checkpoint, its stability and "to newest" column first, then backfill; results stored and broadcast as patches. */
import type { SimilarityOptions } from '../../lib/analysis';
import {
  applyConvergencePatch,
  emptyGrid,
  type ConvergenceCell,
  type ConvergenceGrid,
  type ConvergencePatch,
  type DecodedFrame,
  type MetricName,
} from '../../lib/protocol';
import { sketchOf, type FrameRef } from './jobs';
import type { AdviceTracker } from './advice';
import type { BacklogTracker } from './backlog';
import { cheapPairs, columnsPerCheckpoint, pairsPerJob } from './job-size';
import type { AnalysisLog } from './analysis-log';
import { isObsolete, PRIORITY, type AnalysisPool } from './pool';
import type { Prefetch } from './prefetch';
import { layerKey } from './shared-layers';

export interface ConvergenceOptions {
  runId: string;
  logFile: string;
  layers: Array<{ name: string; units: number; sketch?: number }>;
  examples: number;
  metrics: MetricName[];
  analysis: SimilarityOptions;
  pool: AnalysisPool;
  /** Publishes and stores one patch (it is already applied to the grids). */
  emit: (patch: ConvergencePatch, reference: number | null) => void;
  /** Chance baselines, shared across runs by shape (null when one failed; never rejects). */
  chance: (metric: MetricName, units: number, examples: number, sketch?: number) => Promise<number | null>;
  /** Where a comparison that failed for a reason other than its data is logged. */
  log: AnalysisLog;
  /** Freeze advice, fed with the newest checkpoint's similarities to its earlier ones. */
  advice?: AdviceTracker;
  /** Told when each checkpoint arrives and when its newest-first work (of the first metric) is done. */
  backlog?: BacklogTracker;
  /** Prepares the first metric's layers while their checkpoint is still arriving (prefetch.ts). */
  prefetch?: Prefetch;
}

/**
 * Most "to newest" cells a new checkpoint backfills: beyond this, a spread sample (plus the most recent columns)
 * keeps the live cost and the stored analysis O(n) per checkpoint instead of O(n²) overall; the final reference
 * is always filled completely when the run ends (`finish`). A heatmap of thousands of columns draws a sample anyway.
 */
export const MAX_BACKFILL = 64;

/** Columns to backfill: all of them up to `max`, else the max/2 newest plus an even spread of the rest. */
export function sampleColumns(cols: number[], max = MAX_BACKFILL): number[] {
  if (cols.length <= max) return cols;
  const n = Math.ceil(max / 2);
  const recent = cols.slice(0, n);
  const older = cols.slice(n);
  const every = older.length / (max - n);
  const spread = Array.from({ length: max - n }, (_, i) => older[Math.floor(i * every)]);
  return [...recent, ...spread];
}

/** Similarities are stored and sent to 7 decimals: below float32 input precision, and a third fewer bytes. */
export const round = (v: number | null) => (v === null ? null : Math.round(v * 1e7) / 1e7);

/** Columns hi, hi − 1, …, 0 (newest first). */
const range = (hi: number) => Array.from({ length: Math.max(0, hi + 1) }, (_, i) => hi - i);

export class RunConvergence {
  readonly grids = new Map<MetricName, ConvergenceGrid>();
  /** refs[l][c]: layer l's frame at checkpoint column c (null: not sent, or not finite). */
  private readonly refs: Array<Array<FrameRef | null>>;
  private generation = 0;
  private readonly pendingCells = new Map<MetricName, ConvergenceCell[]>();
  private flushTimer: NodeJS.Timeout | null = null;
  private inflight = 0;
  private idleWaiters: Array<() => void> = [];
  private chanceStarted = false;
  /** While onCheckpoint schedules the first metric: the column whose jobs are counted for the backlog. */
  private counting: number | null = null;
  private readonly columnJobs = new Map<number, number>();

  /**
   * `restored`: grids stored before a restart, for (a prefix of) the checkpoints `earlierSteps`. The columns a grid lacks
   * (a metric new to this run, or analysis cut short by a crash) start empty and are stored as such, so the run's
   * analysis log stays aligned with its checkpoints.
   */
  constructor(
    private readonly o: ConvergenceOptions,
    restored?: Map<MetricName, ConvergenceGrid>,
    earlierSteps: number[] = [],
  ) {
    const names = o.layers.map((l) => l.name);
    for (const metric of o.metrics) {
      const grid = restored?.get(metric) ?? emptyGrid(metric, names);
      this.grids.set(metric, grid);
      const missing = earlierSteps.slice(grid.steps.length);
      if (!missing.length) continue;
      const patch: ConvergencePatch = { metric, addSteps: missing, cells: [] };
      applyConvergencePatch(grid, patch);
      o.emit(patch, grid.reference);
    }
    this.refs = names.map(() => []);
  }

  get steps(): number[] {
    return this.grids.values().next().value?.steps ?? [];
  }

  /** A frame of the next checkpoint arrived (not stored yet): start preparing it for the first metric. */
  frameArrived(frame: DecodedFrame): void {
    const l = this.o.layers.findIndex((x) => x.name === frame.header.layer);
    if (l < 0 || !this.o.prefetch) return;
    this.o.prefetch.start(frame, this.o.metrics[0], this.o.analysis, this.o.layers[l].sketch);
  }

  /** Registers a column for a checkpoint already analysed before a restart (no new work). */
  restoreColumn(frames: Array<{ layer: string; offset: number; length: number; finite: boolean }>): void {
    const c = this.refs[0]?.length ?? 0;
    for (let l = 0; l < this.refs.length; l++) this.refs[l][c] = null;
    for (const f of frames) this.setRef(f, c);
  }

  private setRef(f: { layer: string; offset: number; length: number; finite: boolean }, c: number): void {
    const l = this.o.layers.findIndex((x) => x.name === f.layer);
    if (l < 0) return;
    this.refs[l][c] = f.finite
      ? { key: `${this.o.runId}/${l}/${c}`, file: this.o.logFile, offset: f.offset, length: f.length, ...sketchOf(this.o.layers[l]) }
      : null;
  }

  /**
   * A checkpoint was stored: add its column, reset "to newest", and schedule the newest work first. `decoded`: its
   * frames as they arrived (the registry's), to claim what prefetch.ts prepared of them.
   */
  onCheckpoint(step: number, frames: Array<{ layer: string; offset: number; length: number; finite: boolean }>, decoded: readonly DecodedFrame[] = []): void {
    const c = this.refs[0]?.length ?? 0;
    for (let l = 0; l < this.refs.length; l++) this.refs[l][c] = null;
    for (const f of frames) this.setRef(f, c);
    const basisReady = this.claimPrefetched(c, decoded);
    const generation = ++this.generation;
    // Chance baselines only once the first checkpoint's own work is queued ahead of them.
    const first = !this.chanceStarted;
    this.chanceStarted = true;
    const current = () => this.generation === generation;
    // Plan per metric: the head (the pair (c, c) for k, (c-1, c) for stability and the newest "to newest" cells;
    // for the advice metric back to the start of the advice evidence), then the backfill of older columns. The
    // first metric backfills every checkpoint completely (up to MAX_BACKFILL columns); the others a cost-bounded sample
    // every checkpoint (linear total cost, job-size.ts), and fully at the end.
    const metrics = [...this.grids.keys()];
    const steps = [...this.steps, step];
    const plan = new Map(
      metrics.map((metric, mi) => {
        const head = this.o.advice && metric === this.o.advice.config.metric ? this.o.advice.headColumns(steps, c) : range(c).slice(0, 2);
        // The first metric's column is complete up to MAX_BACKFILL columns; the others' is sampled to a cost budget.
        const cap = mi === 0 ? MAX_BACKFILL : columnsPerCheckpoint(metric, this.o.layers, this.o.examples, MAX_BACKFILL);
        const inHead = new Set(head);
        return [
          metric,
          {
            head,
            rest: sampleColumns(
              range(c).filter((x) => !inHead.has(x)),
              cap,
            ),
          },
        ] as const;
      }),
    );
    for (const [metric, grid] of this.grids) {
      const { head, rest } = plan.get(metric)!;
      const patch: ConvergencePatch = { metric, addSteps: [step], reference: step, cells: [], pending: (head.length + rest.length) * this.refs.length };
      applyConvergencePatch(grid, patch);
      this.o.emit(patch, step);
    }
    this.o.backlog?.arrive(c);
    this.columnJobs.set(c, 0);
    /** Per layer, the first metric's head job: its cheap column jobs start once it has prepared (and shared) the new basis. */
    const heads: Array<Promise<unknown> | undefined> = [];
    metrics.forEach((metric, mi) => {
      this.counting = mi === 0 ? c : null;
      for (let l = 0; l < this.refs.length; l++) {
        const head = this.schedule(
          metric,
          l,
          c,
          plan.get(metric)!.head,
          mi === 0 ? PRIORITY.newest : PRIORITY.column,
          current,
          true,
          mi === 0 ? basisReady[l] : undefined,
        );
        if (mi === 0) heads[l] = head;
      }
    });
    metrics.forEach((metric, mi) => {
      const { rest } = plan.get(metric)!;
      this.counting = mi === 0 ? c : null;
      for (let l = 0; l < this.refs.length; l++) {
        // The first metric's column goes out with the newest work when its pairs are cheap (svcca-k: bases shared between
        // workers), after its head job, so no second worker prepares the same new basis; the rest of the newest column
        // at `column` priority, which the live workers take ahead of any background work.
        const cheap = mi === 0 && cheapPairs(metric, this.o.layers[l]);
        this.backfill(metric, l, c, rest, cheap ? PRIORITY.newest : PRIORITY.column, current, cheap ? heads[l] : undefined);
      }
    });
    this.counting = null;
    this.columnDone(c, 0);
    if (first) void this.startChance();
  }

  /**
   * Column c's layer-l bases that prefetch.ts prepared while the checkpoint arrived, each shared under its frame's cache
   * key once ready (undefined for a layer not prefetched). A frame with no stored ref (not finite) claims nothing.
   */
  private claimPrefetched(c: number, decoded: readonly DecodedFrame[]): Array<Promise<void> | undefined> {
    const ready: Array<Promise<void> | undefined> = [];
    const metric = this.o.metrics[0];
    for (const frame of decoded) {
      const prepared = this.o.prefetch?.take(frame);
      const l = this.o.layers.findIndex((x) => x.name === frame.header.layer);
      const ref = l >= 0 ? this.refs[l][c] : null;
      if (!prepared || !ref) continue;
      ready[l] = prepared.then((layer) => {
        if (layer) this.o.pool.share(layerKey(ref, metric, this.o.analysis), layer);
      });
    }
    return ready;
  }

  private backfill(metric: MetricName, l: number, c: number, cols: number[], priority: number, current: () => boolean, after?: Promise<unknown>): void {
    const chunk = pairsPerJob(metric, this.o.layers[l], this.o.examples);
    for (let i = 0; i < cols.length; i += chunk) this.schedule(metric, l, c, cols.slice(i, i + chunk), priority, current, false, after);
  }

  /** The run stopped: fill every "to newest" cell still missing for the final reference. */
  finish(): void {
    const generation = this.generation;
    const current = () => this.generation === generation;
    for (const [metric, grid] of this.grids) {
      const c = grid.steps.length - 1;
      if (c < 1) continue;
      const missing = grid.toNewest.map((row, l) => range(c).filter((x) => row[x] === null && this.refs[l][x]));
      const count = missing.reduce((n, m) => n + m.length, 0);
      if (!count) continue;
      const patch: ConvergencePatch = { metric, cells: [], pending: grid.pending + count };
      applyConvergencePatch(grid, patch);
      this.o.emit(patch, grid.reference);
      missing.forEach((cols, l) => this.backfill(metric, l, c, cols, PRIORITY.backfill, current));
    }
  }

  /** Queues layer l's pairs (c, x) for x in cols, once `after` settles; resolves when the job has ended (however it ended). */
  private schedule(
    metric: MetricName,
    l: number,
    c: number,
    cols: number[],
    priority: number,
    current: () => boolean,
    urgent: boolean,
    after?: Promise<unknown>,
  ): Promise<void> | undefined {
    const b = this.refs[l][c];
    const usable = cols.filter((x) => this.refs[l][x]);
    const missing = cols.filter((x) => !this.refs[l][x] || !b);
    if (missing.length)
      this.addCells(
        metric,
        missing.map((x) => ({ l, c: x, toNewest: null, ...(x === c ? { k: null } : {}) })),
        urgent,
        missing.length,
      );
    if (!b || !usable.length) return undefined;
    const counted = this.counting;
    if (counted !== null) this.columnJobs.set(counted, (this.columnJobs.get(counted) ?? 0) + 1);
    this.inflight++;
    // The head pair (c, c-1) also yields k and stability, which no newer checkpoint makes obsolete: it always runs.
    const job = { op: 'pairs' as const, metric, opts: this.o.analysis, b, as: usable.map((x) => this.refs[l][x]!) };
    const run = () => this.o.pool.run(job, priority, urgent ? undefined : current);
    return (after ? after.then(run, run) : run())
      .then((res) => {
        if (!res.ok) return this.o.log('PAIRS_FAILED', this.o.runId, res, `${metric} of ${this.o.layers[l].name} at column ${c}`);
        const fresh = current();
        const known = this.grids.get(metric)!.k[l];
        const cells: ConvergenceCell[] = [];
        res.pairs.forEach((p, i) => {
          const x = usable[i];
          // k of a column never changes: sent once, not with every later comparison.
          const k = p.k && known[x] === null ? { k: p.k[0] } : {};
          const cell: ConvergenceCell = { l, c: x, ...(fresh ? { toNewest: round(p.value) } : {}), ...k };
          if (cell.toNewest !== undefined || cell.k !== undefined) cells.push(cell);
          if (x === c - 1) cells.push({ l, c, stability: round(p.value) });
        });
        if (urgent && this.o.advice && metric === this.o.advice.config.metric) {
          const grid = this.grids.get(metric)!;
          this.o.advice.onEvidence(l, c, grid.steps, new Map(res.pairs.map((p, i) => [usable[i], p.value])), grid.stability[l]);
        }
        this.addCells(metric, cells, urgent, fresh ? usable.length : 0);
      })
      .catch((err: unknown) => {
        // Superseded by a newer checkpoint (or the server closing): its cells are left to the newer work.
        if (!isObsolete(err)) this.o.log('PAIRS_FAILED', this.o.runId, err, `${metric} of ${this.o.layers[l].name} at column ${c}`);
      })
      .finally(() => {
        if (counted !== null) this.columnDone(counted, 1);
        if (--this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
  }

  /** One of column c's counted jobs ended (`finished` 1), or its scheduling ended (0): the backlog hears when none is left. */
  private columnDone(c: number, finished: number): void {
    const left = (this.columnJobs.get(c) ?? 0) - finished;
    if (left > 0) return void this.columnJobs.set(c, left);
    this.columnJobs.delete(c);
    this.o.backlog?.done(c);
  }

  private addCells(metric: MetricName, cells: ConvergenceCell[], urgent: boolean, done: number): void {
    const grid = this.grids.get(metric)!;
    grid.pending = Math.max(0, grid.pending - done);
    const list = this.pendingCells.get(metric) ?? [];
    list.push(...cells);
    this.pendingCells.set(metric, list);
    if (urgent || grid.pending === 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), 100);
  }

  /** Sends every buffered cell as one patch per metric. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    for (const [metric, cells] of this.pendingCells) {
      if (!cells.length) continue;
      const grid = this.grids.get(metric)!;
      const patch: ConvergencePatch = { metric, cells, pending: grid.pending };
      applyConvergencePatch(grid, patch);
      this.o.emit(patch, grid.reference);
    }
    this.pendingCells.clear();
  }

  private async startChance(): Promise<void> {
    this.inflight++;
    try {
      await this.computeChance();
    } finally {
      if (--this.inflight === 0) for (const w of this.idleWaiters.splice(0)) w();
    }
  }

  private async computeChance(): Promise<void> {
    for (const [metric, grid] of this.grids) {
      const chance = await Promise.all(this.o.layers.map((l) => this.o.chance(metric, l.units, this.o.examples, l.sketch)));
      const patch: ConvergencePatch = { metric, cells: [], chance };
      applyConvergencePatch(grid, patch);
      this.o.emit(patch, grid.reference);
    }
  }

  /** The frame of every layer at a checkpoint column (null where missing). */
  refsAt(c: number): Array<FrameRef | null> {
    return this.refs.map((r) => r[c] ?? null);
  }

  /** Resolves when no job of this run is running or queued. */
  idle(): Promise<void> {
    if (this.inflight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Snapshot form. */
  snapshot(): Record<string, ConvergenceGrid> {
    this.flush();
    return Object.fromEntries(this.grids);
  }
}
