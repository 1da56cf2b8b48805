/** Chance baselines (a metric on random data of a layer's shape), computed once per shape in the workers and shared by every run. */
import type { MetricName } from '../../lib/protocol';
import type { AnalysisLog } from './analysis-log';
import { CHANCE_SEED } from './jobs';
import { isObsolete, PRIORITY, type AnalysisPool } from './pool';

export class ChanceBaselines {
  private readonly cache = new Map<string, Promise<number | null>>();

  constructor(
    private readonly pool: AnalysisPool,
    private readonly log: AnalysisLog,
  ) {}

  /** The baseline for a layer shape (and sketch size, for a sketched layer); null when it failed (logged for the run that asked first). Never rejects. */
  get(runId: string, metric: MetricName, units: number, examples: number, sketch?: number): Promise<number | null> {
    const key = `${metric}|${units}|${examples}|${sketch ?? ''}`;
    let p = this.cache.get(key);
    if (!p) {
      const what = `${metric} chance for ${units} units × ${examples} examples`;
      p = this.pool
        .run(
          {
            op: 'chance',
            metric,
            opts: {},
            units: Math.min(units, examples - 1),
            examples,
            seed: CHANCE_SEED,
            ...(sketch && metric !== 'pwcca' ? { sketch } : {}),
          },
          PRIORITY.idle,
        )
        .then(
          (r) => {
            if (r.ok) return r.chance;
            this.log('CHANCE_FAILED', runId, r, what);
            return null;
          },
          (err: unknown) => {
            if (!isObsolete(err)) this.log('CHANCE_FAILED', runId, err, what);
            return null;
          },
        );
      this.cache.set(key, p);
    }
    return p;
  }
}
