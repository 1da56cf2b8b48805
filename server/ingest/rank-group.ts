/**
 * The ranks of a distributed run (lib/protocol/ranks.ts). Rank 0's hello (with `run.worldSize` > 1) opens the run and
 * its group; every other rank attaches to that live run by id over its own connection and may send only scalars (each
 * with `reduce`) and `end`. Scalars to combine are stored as received (stamped with their rank), and each step combined
 * by RankCombiner is stored as a `combined` event, which makes the series point. Before the run ends, the group waits
 * (at most RANK_END_GRACE_MS) for the attached ranks to end, then combines what still waits.
 */
import {
  DEFAULT_RANK_WAIT_MS,
  ProtocolError,
  RANK_END_GRACE_MS,
  rankSeriesName,
  type AckOf,
  type ErrorCode,
  type Hello,
  type IngestClientMessage,
  type IngestServerMessage,
  type Scalars,
  type ServerEvent,
} from '../../lib/protocol';
import { RankCombiner, type CombinedStep } from './rank-combiner';
import { RECORD_KIND } from '../runs/records';
import type { LiveRun, RunRegistry } from '../runs/registry';

/** The connection of one rank, as far as the group needs it. */
export interface RankLink {
  close(code: number, reason: string): void;
}

/** How a rank's messages are answered: the collector's ordered replies. */
export interface RankReplies {
  error(code: ErrorCode, message: string, of?: AckOf): void;
  reply(after: Promise<unknown>, make: () => IngestServerMessage | null, of?: AckOf): void;
}

const groups = new WeakMap<LiveRun, RankGroup>();

/** The ranks of one live run and the combination of their scalars. */
export class RankGroup {
  readonly combiner: RankCombiner;
  private readonly members = new Map<number, RankLink>();
  private readonly waiters = new Set<() => void>();
  private timer: NodeJS.Timeout | null = null;
  private writes: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly registry: RunRegistry,
    readonly run: LiveRun,
    readonly worldSize: number,
    readonly waitMs: number,
    private readonly log?: (line: string) => void,
  ) {
    this.combiner = new RankCombiner(worldSize);
  }

  /** The group of a live run, opened by its rank 0's hello (kept when rank 0 reconnects to the same live run). */
  static open(registry: RunRegistry, run: LiveRun, worldSize: number, waitMs = DEFAULT_RANK_WAIT_MS, log?: (line: string) => void): RankGroup {
    let group = groups.get(run);
    if (!group || group.closed) groups.set(run, (group = new RankGroup(registry, run, worldSize, waitMs, log)));
    return group;
  }

  /** The group of a live run, if it is distributed. */
  static of(run: LiveRun): RankGroup | undefined {
    const group = groups.get(run);
    return group && !group.closed ? group : undefined;
  }

  /** `link` speaks for `rank` now; an earlier connection of the same rank (it reconnected) is closed. */
  attach(rank: number, link: RankLink): void {
    const previous = this.members.get(rank);
    this.members.set(rank, link);
    if (previous && previous !== link) previous.close(1008, 'rank reconnected on another connection');
    this.record({ type: 'rank', rank, state: 'joined' });
  }

  /** The connection of `rank` closed without `end`: the end of the run does not wait for it (its values still count). */
  left(rank: number, link: RankLink): void {
    if (this.closed || this.members.get(rank) !== link) return;
    this.members.delete(rank);
    this.record({ type: 'rank', rank, state: 'left' });
    this.wake();
  }

  /** `rank` sent `end`: steps stop waiting for it. */
  ended(rank: number): void {
    if (this.closed) return;
    this.members.delete(rank);
    if (rank > 0) this.record({ type: 'rank', rank, state: 'ended' });
    this.emit(this.combiner.end(rank));
    this.wake();
  }

  /** Adds one rank's stored values to combine. */
  add(rank: number, msg: Scalars, values: Record<string, number | null>): void {
    if (this.closed || msg.reduce === undefined || msg.reduce === 'none') return;
    this.emit(this.combiner.add(rank, msg.step, msg.reduce, values, Date.now()));
  }

  /** Before the run ends: waits up to `graceMs` for the attached ranks to end or leave, stores every step still waiting, and closes the group. */
  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    if (this.members.size > 0 && graceMs > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          this.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, graceMs);
        this.waiters.add(done);
      });
    }
    if (this.closed) return;
    this.emit(this.combiner.flush());
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    groups.delete(this.run);
    await this.writes;
    for (const link of this.members.values()) link.close(1001, 'the run ended');
    this.members.clear();
  }

  private wake(): void {
    if (this.members.size === 0) for (const w of [...this.waiters]) w();
  }

  /** Stores combined steps (in order, after everything recorded before) and arms the wait timer for what still waits. */
  private emit(steps: CombinedStep[]): void {
    for (const c of steps) this.record({ type: 'combined', ...c });
    const oldest = this.combiner.oldest();
    if (this.closed || oldest === null || this.timer) return;
    this.timer = setTimeout(
      () => {
        this.timer = null;
        if (!this.closed) this.emit(this.combiner.expire(Date.now(), this.waitMs));
      },
      Math.max(0, oldest + this.waitMs - Date.now()),
    );
    this.timer.unref();
  }

  private record(event: ServerEvent): void {
    this.writes = this.writes
      .then(() => (this.registry.getLive(this.run.state.meta.id) === this.run ? this.registry.appendEvent(this.run, event) : undefined))
      .catch((err: unknown) => this.log?.(`ingest: could not store a ${event.type} event: ${(err as Error)?.message ?? err}`));
  }
}

/** One connection's part in a distributed run: its rank, its group, whether it sent `end`. */
export class RankSession {
  private done = false;

  constructor(
    private readonly registry: RunRegistry,
    readonly run: LiveRun,
    readonly rank: number,
    readonly group: RankGroup,
  ) {}

  /** Rank 0's hello declared a distributed run: opens its group. */
  static owner(registry: RunRegistry, run: LiveRun, hello: Hello, log?: (line: string) => void): RankSession | null {
    const size = hello.run.worldSize ?? 1;
    return size > 1 ? new RankSession(registry, run, 0, RankGroup.open(registry, run, size, hello.options?.distributed?.waitMs, log)) : null;
  }

  /** The hello of a rank other than 0: attaches `link` to the live run it names. */
  static async attach(registry: RunRegistry, hello: Hello, link: RankLink): Promise<RankSession> {
    const id = hello.run.id!;
    const rank = hello.run.rank!;
    const run = registry.getLive(id);
    const group = run && RankGroup.of(run);
    if (!run) throw new ProtocolError('RUN_NOT_LIVE', `run "${id}" is not streaming: rank 0 has not opened it yet, or it has ended`);
    if (!group) throw new ProtocolError('BAD_MESSAGE', `run "${id}" is not a distributed run (its rank 0 gave no run.worldSize > 1)`);
    if (group.worldSize !== hello.run.worldSize)
      throw new ProtocolError('BAD_MESSAGE', `run "${id}" has worldSize ${group.worldSize}; rank ${rank} says ${hello.run.worldSize}`);
    group.attach(rank, link);
    return new RankSession(registry, run, rank, group);
  }

  /** Handles `msg` if it concerns the ranks (returns true); false leaves it to the collector. A null session answers scalars with `reduce` on a run that is not distributed. */
  static handle(session: RankSession | null, msg: IngestClientMessage, replies: RankReplies): boolean {
    if (session) return session.handle(msg, replies);
    if (msg.type !== 'scalars' || msg.reduce === undefined) return false;
    replies.error('BAD_MESSAGE', 'scalars with "reduce" need a distributed run: rank 0\'s hello gives run.rank 0 and run.worldSize > 1', 'scalars');
    return true;
  }

  private handle(msg: IngestClientMessage, replies: RankReplies): boolean {
    switch (msg.type) {
      case 'hello':
      case 'ping':
        return false;
      case 'scalars':
        if (this.rank === 0 && msg.reduce === undefined) return false;
        this.scalars(msg, replies);
        return true;
      case 'end':
        if (this.rank === 0) return false;
        this.end(replies);
        return true;
      case 'layers':
      case 'probe':
      case 'checkpoint':
      case 'frozen':
        if (this.rank === 0) return false;
        replies.error('NOT_OWNER', `rank ${this.rank} sent "${msg.type}": only rank 0 of a distributed run sends it`, msg.type);
        return true;
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }

  /** The connection closed. */
  closed(link: RankLink): void {
    if (this.rank > 0) this.group.left(this.rank, link);
  }

  /** Rank 0 ends the run (`end`, or `graceMs` 0 when its connection dropped): waits for the other ranks, then stores what still waits. */
  endRun(graceMs = RANK_END_GRACE_MS): Promise<void> {
    this.group.ended(0);
    return this.group.close(graceMs);
  }

  private scalars(msg: Scalars, replies: RankReplies): void {
    const { run, rank } = this;
    if (this.done || this.registry.getLive(run.state.meta.id) !== run)
      return replies.error('RUN_ENDED', this.done ? `rank ${rank} has ended` : 'the run has ended', 'scalars');
    if (msg.reduce === undefined)
      return replies.error('BAD_MESSAGE', `rank ${rank}'s scalars need "reduce" (mean, sum, max or none): only rank 0 logs plain series`, 'scalars');
    if (msg.rank !== undefined && msg.rank !== rank)
      return replies.error('BAD_MESSAGE', `scalars of rank ${msg.rank} on the connection of rank ${rank}`, 'scalars');
    // Resent after a reconnect: per name and rank, a step at or below the last one stored is dropped.
    const fresh: Record<string, number | null> = {};
    for (const [name, value] of Object.entries(msg.values)) {
      const key = rankSeriesName(name, rank);
      if (msg.step > (run.scalarSteps.get(key) ?? -Infinity)) {
        fresh[name] = value;
        run.scalarSteps.set(key, msg.step);
      }
    }
    if (Object.keys(fresh).length === 0) return replies.reply(Promise.resolve(), () => ({ type: 'ack', of: 'scalars', step: msg.step, duplicate: true }));
    const stored: Scalars = { ...msg, values: fresh, rank };
    const done = this.registry.commit(run, [
      { kind: RECORD_KIND.message, payload: JSON.stringify(stored), record: { kind: 'message', time: 0, message: stored } },
    ]);
    done.then(
      () => this.group.add(rank, stored, fresh),
      () => {},
    );
    replies.reply(done, () => ({ type: 'ack', of: 'scalars', step: msg.step }), 'scalars');
  }

  private end(replies: RankReplies): void {
    const first = !this.done;
    this.done = true;
    // Always acknowledged, also after the run ended: a rank's end only says it sends nothing more. Marked once the
    // replies before it went out, i.e. once its earlier scalars were stored and handed to the combiner.
    replies.reply(
      Promise.resolve(),
      () => {
        if (first) this.group.ended(this.rank);
        return { type: 'ack', of: 'end' };
      },
      'end',
    );
  }
}
