/** Similarity matrices computed on request in the workers: one run's layers against each other at a step (cached), and two runs' layers against each other. */
import { BoundedMap } from '../../lib/bounded-map';
import { ProtocolError, type CompareMatrix, type LayerMatrix, type MetricName } from '../../lib/protocol';
import type { RunState } from '../runs/run-state';
import type { ChanceBaselines } from './chance-baselines';
import type { FrameRef } from './jobs';
import { PRIORITY, type AnalysisPool } from './pool';
import { columnOf, type RunFrames } from './run-frames';

/** Layer matrices kept (over all runs). */
const MATRICES_HELD = 256;

const badRequest = (message: string) => new ProtocolError('BAD_REQUEST', message);

export class LayerMatrices {
  /** By run, step and metric. */
  private readonly matrices = new BoundedMap<string, LayerMatrix>(MATRICES_HELD);

  constructor(
    private readonly pool: AnalysisPool,
    private readonly frames: RunFrames,
    private readonly chance: ChanceBaselines,
  ) {}

  /** Layer × layer similarity at one checkpoint (the `layer-matrix` request). */
  async layerMatrix(state: RunState, step: number, metric: MetricName): Promise<LayerMatrix> {
    const id = state.meta.id;
    const key = JSON.stringify([id, step, metric]);
    const cached = this.matrices.get(key);
    if (cached) return cached;
    const refs = await this.frames.refsAt(state, columnOf(state, step));
    const n = refs.length;
    const values: Array<Array<number | null>> = refs.map(() => new Array<number | null>(n).fill(null));
    await Promise.all(
      refs.map(async (b, i) => {
        const as = refs.slice(0, i + 1);
        if (!b || as.some((a) => !a)) return;
        const res = await this.pool.run({ op: 'pairs', metric, opts: {}, b, as: as as FrameRef[] }, PRIORITY.request);
        if (!res.ok) return;
        res.pairs.forEach((p, j) => {
          values[i][j] = p.value;
          values[j][i] = p.value;
        });
      }),
    );
    const units = [...state.layers.map((l) => l.units)].sort((a, b) => a - b);
    const examples = state.probe?.examples ?? 0;
    const chance = units.length && examples > 1 ? await this.chance.get(id, metric, units[Math.floor(units.length / 2)], examples) : null;
    const matrix: LayerMatrix = { metric, step, layers: state.layers.map((l) => l.name), values, chance };
    this.matrices.set(key, matrix);
    return matrix;
  }

  /** Two runs' layers against each other at one step each (matched step when both have it, else each one's newest). */
  async compare(a: RunState, b: RunState, metric: MetricName, stepA?: number, stepB?: number): Promise<CompareMatrix> {
    if (!a.probe || !b.probe || a.probe.examples !== b.probe.examples) {
      throw badRequest(
        `the runs' probe sets differ (${a.probe?.examples ?? 0} vs ${b.probe?.examples ?? 0} examples): layers can only be compared on the same probe set`,
      );
    }
    if (a.labels && b.labels && a.labels.some((y, i) => y !== b.labels![i]))
      throw badRequest("the runs' probe labels differ: they were not shown the same probe set");
    const sa = stepA ?? (stepB !== undefined && a.steps.includes(stepB) ? stepB : a.lastStep);
    const sb = stepB ?? (sa !== null && b.steps.includes(sa) ? sa : b.lastStep);
    if (sa === null || sb === null) throw badRequest('both runs need at least one checkpoint');
    const [ra, rb] = await Promise.all([this.frames.refsAt(a, columnOf(a, sa)), this.frames.refsAt(b, columnOf(b, sb))]);
    const as = ra.filter((r): r is FrameRef => r !== null);
    const values = ra.map(() => rb.map(() => null as number | null));
    await Promise.all(
      rb.map(async (ref, j) => {
        if (!ref || !as.length) return;
        const res = await this.pool.run({ op: 'pairs', metric, opts: {}, b: ref, as }, PRIORITY.request);
        if (!res.ok) return;
        let k = 0;
        ra.forEach((r, i) => {
          if (r) values[i][j] = res.pairs[k++].value;
        });
      }),
    );
    const units = [...a.layers, ...b.layers].map((l) => l.units).sort((x, y) => x - y);
    const chance = units.length ? await this.chance.get(a.meta.id, metric, units[Math.floor(units.length / 2)], a.probe.examples) : null;
    return { metric, runs: [a.meta.id, b.meta.id], steps: [sa, sb], layers: [a.layers.map((l) => l.name), b.layers.map((l) => l.name)], values, chance };
  }
}
