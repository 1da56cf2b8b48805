/**
 * How far one live run's analysis is behind: which checkpoints still wait for their newest-first work, how long a
 * checkpoint's analysis takes and how often checkpoints arrive, hence the expected catch-up time (docs/analysis.md,
 * "Falling behind"). Published at most once a second, and at once when the run catches up.
 */
import type { AnalysisBacklog, MetricName } from '../../lib/protocol';

/** Weight of the newest measurement in the moving averages. */
const ALPHA = 0.3;
const PUBLISH_MS = 1000;

export class BacklogTracker {
  private readonly arrived = new Map<number, number>();
  private lastArrival: number | null = null;
  private lastDone: number | null = null;
  private service: number | null = null;
  private interval: number | null = null;
  private ended = false;
  private timer: NodeJS.Timeout | null = null;
  private published: AnalysisBacklog | null = null;

  constructor(
    private readonly metric: MetricName,
    private readonly publish: (backlog: AnalysisBacklog) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Checkpoint column `c` was stored. */
  arrive(c: number): void {
    const t = this.now();
    if (this.lastArrival !== null) this.interval = average(this.interval, (t - this.lastArrival) / 1000);
    this.lastArrival = t;
    this.arrived.set(c, t);
    this.schedule();
  }

  /** Column `c`'s newest-first work is done (or could not be done: a missing or non-finite frame). */
  done(c: number): void {
    const at = this.arrived.get(c);
    if (at === undefined) return;
    this.arrived.delete(c);
    const t = this.now();
    // Service time: from when the analysis could start on it (its arrival, or the previous checkpoint's end) to its end.
    this.service = average(this.service, (t - Math.max(at, this.lastDone ?? at)) / 1000);
    this.lastDone = t;
    if (this.arrived.size === 0) this.flush();
    else this.schedule();
  }

  /** The trainer stopped: no more arrivals, so the backlog only shrinks. */
  end(): void {
    this.ended = true;
    this.interval = null;
    this.flush();
  }

  /** The current state (snapshot). */
  state(): AnalysisBacklog {
    const behind = this.arrived.size;
    const s = this.service,
      a = this.ended ? null : this.interval;
    let catchUp: number | null;
    if (behind === 0) catchUp = 0;
    else if (s === null) catchUp = null;
    else if (a === null) catchUp = behind * s;
    else catchUp = s < a ? (behind * s) / (1 - s / a) : null;
    return { metric: this.metric, behind, secondsPerCheckpoint: s, arrivalSeconds: a, catchUpSeconds: catchUp };
  }

  private schedule(): void {
    this.timer ??= setTimeout(() => this.flush(), PUBLISH_MS);
  }

  /** Publishes the state when it changed since the last publication. */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const next = this.state();
    const last = this.published;
    if (last && last.behind === next.behind && last.catchUpSeconds === next.catchUpSeconds && last.secondsPerCheckpoint === next.secondsPerCheckpoint) return;
    this.published = next;
    this.publish(next);
  }

  /** Stops the timer (the run's analysis closed). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

function average(prev: number | null, x: number): number {
  return prev === null ? x : (1 - ALPHA) * prev + ALPHA * x;
}
