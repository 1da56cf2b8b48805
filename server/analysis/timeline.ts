/** A run as it was when a given checkpoint was the newest: what a replay shows at that step (stored analysis, nothing recomputed). */
import type { ConvergenceGrid, RunSnapshot } from '../../lib/protocol';
import { DEFAULT_METRIC } from '../../lib/protocol';
import type { RunState } from '../run-state';
import { applyStored, readAnalysis, type AnalysisRecord } from './analysis-store';

/** Stored analysis records of a run, read once and kept for scrubbing. */
export class AnalysisTimeline {
  private constructor(readonly records: AnalysisRecord[]) {}

  /** Reads a run's analysis log. */
  static async read(file: string): Promise<AnalysisTimeline> {
    const records: AnalysisRecord[] = [];
    for await (const rec of readAnalysis(file)) records.push(rec);
    return new AnalysisTimeline(records);
  }

  /** The live grids as they stood until a checkpoint newer than `step` arrived (re-analyses excluded). */
  gridsAt(step: number, layers: string[]): Map<string, ConvergenceGrid> {
    const grids = new Map<string, ConvergenceGrid>();
    for (const rec of this.records) {
      if (rec.type !== 'convergence') continue;
      const { patch } = rec;
      if (patch.key) continue;
      if (patch.addSteps?.some((s) => s > step)) break;
      applyStored(grids, patch, layers);
    }
    return grids;
  }
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
  const grids = timeline.gridsAt(step, state.layers.map((l) => l.name));
  const lastStep = c ? state.steps[c - 1] : null;
  return {
    ...full,
    meta: { ...full.meta, checkpoints: c, lastStep },
    checkpoints: { steps: state.steps.slice(0, c), times: state.times.slice(0, c) },
    scalars,
    warnings: full.warnings.filter((w) => w.step === undefined || w.step <= step),
    advice: full.advice.filter((a) => a.step <= step),
    analysis: grids.size ? { ...full.analysis, convergence: { defaultMetric: DEFAULT_METRIC, grids: Object.fromEntries(grids) } } : undefined,
  };
}
