/**
 * Distributed runs: the processes (ranks) of one data-parallel training run stream into one run. Rank 0 owns it (hello,
 * declarations, checkpoints); the others attach to it and send scalars, each message saying how its values combine.
 */

/**
 * How a scalars message of a distributed run combines across ranks: `mean`, `sum` or `max` over the ranks' values at a
 * step (the server stores the combination once every rank gave its value), or `none` (each rank's values are kept as
 * their own series, `name{rank=r}`).
 */
export const SCALAR_REDUCE = ['mean', 'sum', 'max', 'none'] as const;
export type ScalarReduce = (typeof SCALAR_REDUCE)[number];
export type CombineReduce = Exclude<ScalarReduce, 'none'>;

/** How long a step waits for the ranks that have not given their value yet, by default (hello `options.distributed.waitMs`). */
export const DEFAULT_RANK_WAIT_MS = 60_000;

/** How long the end of a distributed run waits for attached ranks to send their own `end`. */
export const RANK_END_GRACE_MS = 10_000;

/** Highest rank (and world size) the protocol accepts. */
export const MAX_WORLD_SIZE = 65_536;

const RANK_SUFFIX = /^(.+)\{rank=(\d+)\}$/;

/** The series name of a value kept per rank: `loss` of rank 1 is `loss{rank=1}`. */
export function rankSeriesName(name: string, rank: number): string {
  return `${name}{rank=${rank}}`;
}

/** The scalar name and rank of a per-rank series name (`loss{rank=1}` → {name: "loss", rank: 1}), or null. */
export function parseRankSeries(series: string): { name: string; rank: number } | null {
  const m = RANK_SUFFIX.exec(series);
  return m ? { name: m[1], rank: Number(m[2]) } : null;
}

/** The ranks' values at one step combined; null when any is null (a non-finite value on one rank, as an all-reduce would give). */
export function reduceValues(reduce: CombineReduce, values: ReadonlyArray<number | null>): number | null {
  if (values.length === 0 || values.some((v) => v === null || !Number.isFinite(v))) return null;
  const xs = values as number[];
  switch (reduce) {
    case 'mean':
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    case 'sum':
      return xs.reduce((a, b) => a + b, 0);
    case 'max':
      return xs.reduce((a, b) => Math.max(a, b), -Infinity);
    default: {
      const _exhaustive: never = reduce;
      return _exhaustive;
    }
  }
}
