/** Seeded snapshots and deltas for the store's unit tests (the shapes the server sends on /live). */
import type { ConvergenceGrid, MetricName } from '@/lib/protocol/analysis';
import type { RunMeta, RunSnapshot } from '@/lib/protocol/live';

export const LAYERS = ['h1', 'h2'];

/** A run's meta at `steps.length` checkpoints. */
export function meta(id: string, steps: number[], status: RunMeta['status'] = 'live'): RunMeta {
  return { id, name: id, status, createdAt: 1_000, checkpoints: steps.length, lastStep: steps.at(-1) ?? null, layers: LAYERS.length, bytes: 0 };
}

/** A full grid of one metric over `steps`, every cell set to `value(l, c)`, reference the newest step. */
export function grid(metric: MetricName, steps: number[], value: (l: number, c: number) => number): ConvergenceGrid {
  const rows = () => LAYERS.map((_, l) => steps.map((_, c) => value(l, c)));
  return {
    metric,
    layers: [...LAYERS],
    steps: [...steps],
    reference: steps.at(-1) ?? null,
    toNewest: rows(),
    stability: rows(),
    k: rows(),
    chance: LAYERS.map(() => 0.1),
    pending: 0,
  };
}

/** A snapshot of a run at `steps`, with one scalar series and an svcca-k grid. */
export function snapshot(id: string, steps: number[], status: RunMeta['status'] = 'live'): RunSnapshot {
  return {
    meta: meta(id, steps, status),
    layers: LAYERS.map((name) => ({ name, units: 8, kind: 'dense' as const })),
    probe: { examples: 50 },
    checkpoints: { steps: [...steps], times: steps.map((s) => 1_000 + s) },
    scalars: { loss: { steps: [...steps], values: steps.map((s) => 1 / (1 + s)) } },
    warnings: [],
    advice: [],
    frozen: [],
    analysis: { convergence: { grids: { 'svcca-k': grid('svcca-k', steps, (l, c) => 0.5 + 0.1 * l + 0.01 * c) }, defaultMetric: 'svcca-k' } },
  };
}
