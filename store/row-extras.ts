/**
 * Lazy extras of the run list's visible rows: the main scalar's sparkline (`series` request, a few dozen points) and a
 * tiny convergence thumbnail (the run's newest snapshot via `run-at`, its grid shrunk to a few columns). At most two
 * runs load at once; live runs refresh now and then.
 */
import type { ConvergenceGrid } from '@/lib/protocol/analysis';
import type { LayerwatchStore } from './create-store';
import type { LiveSocket } from './live-socket';
import type { Thumb } from './slices/runs';

const PARALLEL = 2;
const LIVE_REFRESH_MS = 20_000;
const THUMB_COLUMNS = 32;
const SPARK_POINTS = 64;

/** A grid shrunk to at most `columns` columns, each the minimum of its bucket (an unsettled layer is never hidden). */
export function shrinkGrid(grid: Pick<ConvergenceGrid, 'layers' | 'steps' | 'toNewest'>, columns = THUMB_COLUMNS): Thumb {
  const n = grid.steps.length;
  const w = Math.min(n, columns);
  const steps: number[] = [];
  const values = grid.layers.map(() => [] as Array<number | null>);
  for (let b = 0; b < w; b++) {
    const c0 = Math.floor((b * n) / w);
    const c1 = Math.max(c0 + 1, Math.floor(((b + 1) * n) / w));
    steps.push(grid.steps[c1 - 1]);
    grid.toNewest.forEach((row, l) => {
      let v: number | null = null;
      for (let c = c0; c < c1; c++) if (row[c] !== null && row[c] !== undefined && (v === null || row[c]! < v)) v = row[c]!;
      values[l].push(v);
    });
  }
  return { layers: grid.layers.length, steps, values };
}

export class RowExtrasLoader {
  private readonly queue: string[] = [];
  private running = 0;

  constructor(
    private readonly store: LayerwatchStore,
    private readonly socket: LiveSocket,
  ) {}

  /** A row became visible: load its extras unless they are fresh. */
  want(id: string): void {
    const s = this.store.getState();
    const meta = s.runs.byId[id];
    const have = s.runs.extras[id];
    if (!meta || this.queue.includes(id)) return;
    if (
      have &&
      (have.state === 'loading' ||
        (meta.status !== 'live' && have.state === 'ready') ||
        (have.checkpoints === meta.checkpoints && have.state === 'ready') ||
        Date.now() - have.fetchedAt < LIVE_REFRESH_MS)
    )
      return;
    this.queue.push(id);
    this.pump();
  }

  private pump(): void {
    while (this.running < PARALLEL && this.queue.length) {
      const id = this.queue.shift()!;
      this.running++;
      void this.load(id).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async load(id: string): Promise<void> {
    const s = this.store.getState();
    const meta = s.runs.byId[id];
    if (!meta) return;
    const prev = s.runs.extras[id];
    s.setRowExtras(id, { state: 'loading', fetchedAt: Date.now(), checkpoints: meta.checkpoints, thumb: prev?.thumb ?? null });
    let thumb: Thumb | null = prev?.thumb ?? null;
    let ok = true;
    try {
      if (meta.lastScalar) {
        const series = await this.socket.request('series', id, { name: meta.lastScalar.name, points: SPARK_POINTS });
        const steps: number[] = [];
        const values: number[] = [];
        series.steps.forEach((st, i) => {
          const v = series.values[i];
          if (v !== null && Number.isFinite(v)) {
            steps.push(st);
            values.push(v);
          }
        });
        this.store.getState().setSpark(id, { steps, values });
      }
      if (meta.lastStep !== null && meta.checkpoints > 0) {
        const conv = (await this.socket.request('run-at', id, { step: meta.lastStep })).analysis?.convergence;
        const grid = conv ? (conv.grids[conv.defaultMetric] ?? Object.values(conv.grids)[0]) : undefined;
        if (grid) thumb = shrinkGrid(grid);
      }
    } catch {
      ok = false;
    }
    this.store.getState().setRowExtras(id, { state: ok ? 'ready' : 'error', fetchedAt: Date.now(), checkpoints: meta.checkpoints, thumb });
  }
}
