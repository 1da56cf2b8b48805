/** A run as it was when a given checkpoint was the newest: what a replay shows at that step (stored analysis, nothing recomputed). */
import type { ConvergenceGrid, RunSnapshot } from '../../lib/protocol';
import { DEFAULT_METRIC } from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import { applyStored, readAnalysis, type AnalysisRecord } from './analysis-store';

/** Keyframe spacing in checkpoints: scrubbing a long run replays at most this many checkpoints' patches. */
const KEYFRAME_EVERY = 64;

interface Keyframe {
  /** Index of the first record not applied. */
  index: number;
  grids: Map<string, ConvergenceGrid>;
}

/** Stored analysis records of a run, read once and kept (with periodic keyframes) for scrubbing. */
export class AnalysisTimeline {
  private constructor(
    readonly records: AnalysisRecord[],
    private readonly keyframes: Keyframe[],
    private readonly layers: string[],
    /** Every live grid with all records applied: for the checkpoints no live analysis saw, the only view there is. */
    private readonly final: Map<string, ConvergenceGrid>,
  ) {}

  /** Reads a run's analysis log. */
  static async read(file: string, layers: string[]): Promise<AnalysisTimeline> {
    const records: AnalysisRecord[] = [];
    const keyframes: Keyframe[] = [{ index: 0, grids: new Map() }];
    const running = new Map<string, ConvergenceGrid>();
    let columns = 0;
    for await (const rec of readAnalysis(file)) {
      const patch = rec.type === 'convergence' && !rec.patch.key ? rec.patch : null;
      if (patch?.addSteps && patch.metric === running.keys().next().value) {
        if (columns > 0 && columns % KEYFRAME_EVERY === 0) keyframes.push({ index: records.length, grids: structuredClone(running) });
        columns += patch.addSteps.length;
      }
      records.push(rec);
      if (patch) applyStored(running, patch, layers);
    }
    return new AnalysisTimeline(records, keyframes, layers, running);
  }

  /**
   * The live grids as they stood until a checkpoint newer than `step` arrived (re-analyses excluded). A checkpoint that
   * was analysed only later — the run's log was opened without its analysis, or the server crashed before it caught
   * up — shows the final grid's columns up to `step` instead: similarity to the final state, in hindsight, and labelled
   * so by its reference.
   */
  gridsAt(step: number): Map<string, ConvergenceGrid> {
    let end = this.records.length;
    for (let i = 0; i < this.records.length; i++) {
      const rec = this.records[i];
      if (rec.type === 'convergence' && !rec.patch.key && rec.patch.addSteps?.some((s) => s > step)) {
        end = i;
        break;
      }
    }
    let start = this.keyframes[0];
    for (const k of this.keyframes) if (k.index <= end) start = k;
    const grids = structuredClone(start.grids);
    for (let i = start.index; i < end; i++) {
      const rec = this.records[i];
      if (rec.type === 'convergence' && !rec.patch.key) applyStored(grids, rec.patch, this.layers);
    }
    for (const [key, final] of this.final) {
      const shown = final.steps.filter((s) => s <= step);
      const at = shown[shown.length - 1];
      if (at !== undefined && !grids.get(key)?.steps.includes(at)) grids.set(key, columnsUpTo(final, shown.length));
    }
    return grids;
  }
}

/** A grid's first `n` columns (a copy). */
function columnsUpTo(grid: ConvergenceGrid, n: number): ConvergenceGrid {
  const cut = (rows: ConvergenceGrid['toNewest']) => rows.map((r) => r.slice(0, n));
  return {
    ...grid,
    steps: grid.steps.slice(0, n),
    toNewest: cut(grid.toNewest),
    stability: cut(grid.stability),
    k: cut(grid.k),
    chance: [...grid.chance],
    layers: [...grid.layers],
    pending: 0,
  };
}

/** The snapshot a viewer saw live when `step` was the run's newest checkpoint. */
export function snapshotAt(state: RunState, step: number, timeline: AnalysisTimeline): RunSnapshot {
  const full = state.snapshot();
  const c = state.steps.filter((s) => s <= step).length;
  const scalars: RunSnapshot['scalars'] = {};
  for (const [name, series] of Object.entries(full.scalars)) {
    const n = series.steps.findIndex((s) => s > step);
    const end = n < 0 ? series.steps.length : n;
    if (end > 0) scalars[name] = { steps: series.steps.slice(0, end), values: series.values.slice(0, end) };
  }
  const grids = timeline.gridsAt(step);
  const lastStep = c ? state.steps[c - 1] : null;
  return {
    ...full,
    meta: { ...full.meta, checkpoints: c, lastStep },
    checkpoints: { steps: state.steps.slice(0, c), times: state.times.slice(0, c) },
    scalars,
    warnings: full.warnings.filter((w) => w.step === undefined || w.step <= step),
    advice: full.advice.filter((a) => a.step <= step),
    frozen: full.frozen.filter((f) => f.step <= step),
    analysis: grids.size ? { ...full.analysis, convergence: { defaultMetric: DEFAULT_METRIC, grids: Object.fromEntries(grids) } } : undefined,
  };
}
