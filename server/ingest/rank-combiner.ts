/**
 * Scalars that every rank of a distributed run logs, combined per step (mean, sum or max over the ranks). Pure: no I/O,
 * the clock is passed in.
 *
 * A step of a series is combined once each rank has given its value at that step, or has moved past it (given a value
 * at a later step of the series: its messages arrive in order, so it never will), or has ended. A step still waiting
 * `waitMs` after its first value is combined from the ranks that gave one (`expire`); so is every step still waiting
 * when the run ends (`flush`). Steps of a series are combined in step order; a value for a step already combined
 * (a rank that fell that far behind) is counted in `late` and left out.
 */
import { reduceValues, type CombineReduce } from '../../lib/protocol';

/** One combined step: every series of one reduction that the same ranks completed at `step`. */
export interface CombinedStep {
  step: number;
  reduce: CombineReduce;
  values: Record<string, number | null>;
  /** The ranks whose values went in (all `worldSize` of them unless some ended or timed out). */
  ranks: number[];
  worldSize: number;
}

interface Waiting {
  step: number;
  /** When its first value arrived. */
  since: number;
  values: Map<number, number | null>;
}

interface SeriesState {
  name: string;
  reduce: CombineReduce;
  /** Steps still waiting, ascending, from index `head` on (taking the first is O(1)). */
  waiting: Waiting[];
  head: number;
  /** Per rank, the highest step it gave a value at. */
  given: Map<number, number>;
  /** The highest step combined so far. */
  combined: number;
}

/** Most values held while waiting for other ranks; past it the oldest steps are combined from what they have. */
export const MAX_WAITING_VALUES = 200_000;

/** Combines the scalars of the ranks of one run. */
export class RankCombiner {
  private readonly series = new Map<string, SeriesState>();
  private readonly ended = new Set<number>();
  private held = 0;
  /** Values that arrived after their step was combined. */
  late = 0;

  constructor(readonly worldSize: number) {}

  /** Adds rank `rank`'s values at `step`; returns the steps this completes, in step order. */
  add(rank: number, step: number, reduce: CombineReduce, values: Record<string, number | null>, now: number): CombinedStep[] {
    const done: Array<[SeriesState, Waiting]> = [];
    for (const [name, value] of Object.entries(values)) {
      const s = this.seriesOf(name, reduce);
      if (step <= s.combined) {
        this.late++;
        continue;
      }
      s.given.set(rank, Math.max(step, s.given.get(rank) ?? -1));
      const w = waitingAt(s, step, now);
      if (!w.values.has(rank)) this.held++;
      w.values.set(rank, value);
      this.settle(s, done);
    }
    if (this.held > MAX_WAITING_VALUES) this.shed(done);
    return group(done, this.worldSize);
  }

  /** Rank `rank` sends nothing more (its `end`): steps stop waiting for it. Returns the steps this completes. */
  end(rank: number): CombinedStep[] {
    this.ended.add(rank);
    const done: Array<[SeriesState, Waiting]> = [];
    for (const s of this.series.values()) this.settle(s, done);
    return group(done, this.worldSize);
  }

  /** Combines, from the ranks that gave a value, every step that has waited since `now − waitMs` or longer (and the steps before it). */
  expire(now: number, waitMs: number): CombinedStep[] {
    const done: Array<[SeriesState, Waiting]> = [];
    for (const s of this.series.values()) {
      let last = -1;
      for (let i = s.head; i < s.waiting.length; i++) if (now - s.waiting[i].since >= waitMs) last = i;
      while (s.head <= last) this.take(s, done);
      this.settle(s, done);
    }
    return group(done, this.worldSize);
  }

  /** Combines every step still waiting, from the ranks that gave a value (the run is ending). */
  flush(): CombinedStep[] {
    const done: Array<[SeriesState, Waiting]> = [];
    for (const s of this.series.values()) while (s.head < s.waiting.length) this.take(s, done);
    return group(done, this.worldSize);
  }

  /** When the first waiting step of a series got its first value (the earliest such), or null when nothing waits. */
  oldest(): number | null {
    let t: number | null = null;
    for (const s of this.series.values()) if (s.head < s.waiting.length && (t === null || s.waiting[s.head].since < t)) t = s.waiting[s.head].since;
    return t;
  }

  private seriesOf(name: string, reduce: CombineReduce): SeriesState {
    const key = `${reduce}\u0000${name}`;
    let s = this.series.get(key);
    if (!s) this.series.set(key, (s = { name, reduce, waiting: [], head: 0, given: new Map(), combined: -1 }));
    return s;
  }

  /** Combines the leading steps of `s` that no rank is still expected to give a value for. */
  private settle(s: SeriesState, done: Array<[SeriesState, Waiting]>): void {
    while (s.head < s.waiting.length && this.complete(s, s.waiting[s.head])) this.take(s, done);
  }

  private complete(s: SeriesState, w: Waiting): boolean {
    for (let r = 0; r < this.worldSize; r++) {
      if (!w.values.has(r) && !this.ended.has(r) && (s.given.get(r) ?? -1) <= w.step) return false;
    }
    return true;
  }

  private take(s: SeriesState, done: Array<[SeriesState, Waiting]>): void {
    const w = s.waiting[s.head++];
    if (s.head > 1024 && s.head * 2 > s.waiting.length) {
      s.waiting = s.waiting.slice(s.head);
      s.head = 0;
    }
    this.held -= w.values.size;
    s.combined = w.step;
    done.push([s, w]);
  }

  /** Over the bound: combines the oldest waiting steps until it holds half of it. */
  private shed(done: Array<[SeriesState, Waiting]>): void {
    while (this.held > MAX_WAITING_VALUES / 2) {
      let oldest: SeriesState | null = null;
      for (const s of this.series.values())
        if (s.head < s.waiting.length && (!oldest || s.waiting[s.head].since < oldest.waiting[oldest.head].since)) oldest = s;
      if (!oldest) return;
      this.take(oldest, done);
    }
  }
}

/** The waiting entry of `step` in `s`, inserted in step order if new. */
function waitingAt(s: SeriesState, step: number, now: number): Waiting {
  let i = s.waiting.length;
  while (i > s.head && s.waiting[i - 1].step > step) i--;
  if (i > s.head && s.waiting[i - 1].step === step) return s.waiting[i - 1];
  const w: Waiting = { step, since: now, values: new Map() };
  s.waiting.splice(i, 0, w);
  return w;
}

/** Combined values grouped per (step, reduction, contributing ranks), in step order (so each series stays in step order). */
function group(done: Array<[SeriesState, Waiting]>, worldSize: number): CombinedStep[] {
  const out = new Map<string, CombinedStep>();
  for (const [s, w] of done) {
    const ranks = [...w.values.keys()].sort((a, b) => a - b);
    const key = `${w.step}|${s.reduce}|${ranks.join(',')}`;
    let c = out.get(key);
    if (!c) out.set(key, (c = { step: w.step, reduce: s.reduce, values: {}, ranks, worldSize }));
    c.values[s.name] = reduceValues(
      s.reduce,
      ranks.map((r) => w.values.get(r)!),
    );
  }
  return [...out.values()].sort((a, b) => a.step - b.step);
}
