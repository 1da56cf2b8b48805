/** The collector's view of every run: the index, live runs with their log writers, and past runs loaded on demand. */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Annotation, DecodedFrame, Hello, IngestServerMessage, LayerDecl, RunDelta, RunMeta, ServerEvent } from '../../lib/protocol';
import { annotationOf, ProtocolError, runTopic } from '../../lib/protocol';
import { BoundedMap } from '../../lib/bounded-map';
import { RunIndex } from '../storage/run-index';
import { RunLogWriter, type AppendOptions } from '../storage/run-log-writer';
import { isValidRunId, slugifyRunId } from '../storage/run-id';
import { PAST_CACHE } from './past-cache';
import { RunState, type RunRecord } from './run-state';
import { trimIncompleteCheckpoint } from './checkpoint-repair';
import { encodeEvent, RECORD_KIND } from './records';
import { DEFAULT_LOG_LIMITS, type LogCheckLimits } from './log-content-check';
import { readRunState } from './read-run-state';
import { allFinite32 } from '../../lib/codecs/finite';

/** The connection streaming a live run: the server can tell its trainer things (advice). */
export interface TrainerLink {
  notify(msg: IngestServerMessage): void;
}

/** A run that a trainer is streaming into right now. */
export interface LiveRun {
  state: RunState;
  writer: RunLogWriter;
  /** Highest checkpoint step accepted for writing (may be ahead of state.lastStep while a write is in flight). */
  acceptedStep: number;
  /** Highest step per scalar name accepted for writing (duplicates after a client resend are dropped). */
  scalarSteps: Map<string, number>;
  /** Declarations accepted on the connection, ahead of the write that stores them (so pipelined messages see them). */
  declared: { layers: LayerDecl[] | null; probe: { examples: number; labels: number[] | null } | null };
  owner: TrainerLink;
}

/** A record to store; `append` passes a payload CRC computed on arrival and hands large payloads over uncopied. */
export interface CommitRecord {
  kind: number;
  payload: Uint8Array | string;
  record: RunRecord | null;
  append?: AppendOptions;
}

/** A stored activation frame: where it is in the log, and its decoded header. */
export interface StoredFrame {
  layer: string;
  /** The frame header's step (frames stored outside a checkpoint — Grad-CAM maps — name theirs here). */
  step?: number;
  offset: number;
  length: number;
  shape: number[];
  finite: boolean;
  /** "sketch" for a sketch frame (analysed as a sketch; no concept statistics); absent for raw activations. */
  kind?: 'sketch';
}

/**
 * `decoded[i]`: frames[i] as it was decoded when it arrived (transient: a listener must not keep it; prefetch.ts
 * matches it by identity with the frame it started preparing).
 */
export type FramesListener = (state: RunState, step: number, frames: StoredFrame[], decoded: readonly DecodedFrame[]) => void;
export type Publisher = (topic: string, payload: { run: RunDelta } | { runs: { kind: 'run'; meta: RunMeta } | { kind: 'removed'; id: string } }) => void;

export interface RegistryOptions {
  /** What stored records are read under when a run is rebuilt from its log (the limits live ingest enforces). */
  logLimits?: LogCheckLimits;
  /** Receives every delta (the broadcaster, in the server). */
  publish?: Publisher;
  /** One line per storage problem that does not fail the caller (default: stderr). */
  log?: (line: string) => void;
}

const errorText = (err: unknown): string => (err as Error)?.message ?? String(err);

export class RunRegistry {
  private readonly live = new Map<string, LiveRun>();
  private readonly past = new BoundedMap<string, RunState>(PAST_CACHE);
  private readonly loading = new Map<string, Promise<RunState | null>>();
  /** Per run id, the tail of its serialized start/end work. */
  private readonly busy = new Map<string, Promise<void>>();
  private readonly metaTimers = new Map<string, NodeJS.Timeout>();
  private readonly framesListeners: FramesListener[] = [];
  private readonly endedListeners: Array<(id: string) => void> = [];

  private constructor(
    readonly dataDir: string,
    readonly index: RunIndex,
    /** What a stored log is held to when a run is rebuilt from it: the limits live ingest enforces. */
    readonly logLimits: LogCheckLimits,
    /** Where run-list and run deltas go (the broadcaster, in the server). */
    readonly publish: Publisher,
    /** Where a storage problem that does not fail the caller is reported: one line with a stable code and the run id. */
    private readonly log: (line: string) => void,
  ) {}

  /**
   * Opens a data directory, recovering runs a crash left live; stored records are read under `logLimits` (the server's).
   * `publish` receives every delta (none is published while opening).
   */
  static async open(dataDir: string, opts: RegistryOptions = {}): Promise<RunRegistry> {
    const log = opts.log ?? ((line: string) => console.error(line));
    const index = await RunIndex.open(dataDir);
    // Runs still marked live were cut off by a crash: drop a checkpoint that did not get all its frames written.
    for (const meta of index.list()) {
      if (meta.status !== 'live') continue;
      // A log that cannot be repaired is still opened by recover(): its reader stops at the first bad record.
      await trimIncompleteCheckpoint(path.join(dataDir, 'runs', meta.id, 'log.lwlog')).catch((err: unknown) =>
        log(`storage: REPAIR_FAILED run ${meta.id}: ${errorText(err)}`),
      );
    }
    await index.recover();
    return new RunRegistry(dataDir, index, opts.logLimits ?? DEFAULT_LOG_LIMITS, opts.publish ?? (() => {}), log);
  }

  logPath(id: string): string {
    if (!isValidRunId(id)) throw new ProtocolError('BAD_RUN_ID', `invalid run id "${id.slice(0, 80)}"`);
    return path.join(this.dataDir, 'runs', id, 'log.lwlog');
  }

  list(): RunMeta[] {
    return this.index.list();
  }

  /** Subscribes to checkpoints as they are stored (the analysis scheduler listens here). */
  onFrames(listener: FramesListener): void {
    this.framesListeners.push(listener);
  }

  /** Subscribes to runs that stop streaming (ended, failed or interrupted). */
  onEnded(listener: (id: string) => void): void {
    this.endedListeners.push(listener);
  }

  getLive(id: string): LiveRun | undefined {
    return this.live.get(id);
  }

  /** Creates a run, or resumes a stored one, for a trainer's hello. */
  startRun(hello: Hello, owner: TrainerLink, onTakeover: (previousOwner: TrainerLink) => void): Promise<{ run: LiveRun; resumed: boolean }> {
    // One at a time per run id, and after a pending endRun of it: two writers on one log would corrupt it.
    const id = hello.run.id;
    return id ? this.serial(id, () => this.openRun(hello, owner, onTakeover)) : this.openRun(hello, owner, onTakeover);
  }

  /** Runs `fn` after every earlier serial task of the same run id has settled. */
  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const result = (this.busy.get(id) ?? Promise.resolve()).then(fn);
    const tail = result.then(
      () => {},
      () => {},
    );
    this.busy.set(id, tail);
    void tail.then(() => {
      if (this.busy.get(id) === tail) this.busy.delete(id);
    });
    return result;
  }

  private async openRun(hello: Hello, owner: TrainerLink, onTakeover: (previousOwner: TrainerLink) => void): Promise<{ run: LiveRun; resumed: boolean }> {
    const requested = hello.run.id;
    const existing = requested ? this.index.get(requested) : undefined;
    if (existing && !hello.resume) throw new ProtocolError('RUN_EXISTS', `run "${requested}" exists; send "resume": true to append to it`);
    const now = Date.now();
    if (existing) {
      const current = this.live.get(existing.id);
      if (current) {
        // The trainer reconnected before we noticed its old connection died: the new connection takes over.
        onTakeover(current.owner);
        current.owner = owner;
        return { run: current, resumed: true };
      }
      const state = (await this.load(existing.id)) ?? new RunState(existing);
      const writer = await RunLogWriter.open(this.logPath(existing.id));
      this.past.delete(existing.id);
      const run = this.makeLive(state, writer, owner);
      await this.appendEvent(run, { type: 'resumed' });
      return { run, resumed: true };
    }
    const id = requested ?? makeRunId(hello.run.name ?? 'run');
    const meta: RunMeta = {
      id,
      name: hello.run.name ?? id,
      ...(hello.run.project ? { project: hello.run.project } : {}),
      ...(hello.run.config !== undefined ? { config: hello.run.config } : {}),
      status: 'live',
      createdAt: now,
      checkpoints: 0,
      lastStep: null,
      layers: 0,
      bytes: 0,
    };
    await this.index.create(meta);
    const writer = await RunLogWriter.open(this.logPath(id));
    const run = this.makeLive(new RunState(meta), writer, owner);
    this.publish('runs', { runs: { kind: 'run', meta } });
    return { run, resumed: false };
  }

  private makeLive(state: RunState, writer: RunLogWriter, owner: TrainerLink): LiveRun {
    const scalarSteps = new Map<string, number>();
    for (const [name, s] of state.scalars) scalarSteps.set(name, s.lastStep);
    const declared: LiveRun['declared'] = {
      layers: state.layers.length ? state.layers : null,
      probe: state.probe ? { examples: state.probe.examples, labels: state.labels } : null,
    };
    const run: LiveRun = { state, writer, acceptedStep: state.lastStep ?? -1, scalarSteps, declared, owner };
    this.live.set(state.meta.id, run);
    return run;
  }

  /** Appends records, waits until they are written, then applies them and publishes their deltas. */
  async commit(run: LiveRun, records: CommitRecord[]): Promise<void> {
    const time = Date.now();
    let bytes = 0;
    const frames: StoredFrame[] = [];
    const decoded: DecodedFrame[] = [];
    let step = -1;
    for (const r of records) {
      const offset = run.writer.append(r.kind, r.payload, time, 0, r.append);
      const length = typeof r.payload === 'string' ? Buffer.byteLength(r.payload) : r.payload.byteLength;
      bytes += length;
      if (r.record?.kind === 'frame') {
        const { header, data } = r.record.frame;
        decoded.push(r.record.frame);
        frames.push({
          layer: header.layer,
          step: header.step,
          offset,
          length,
          shape: header.shape,
          finite: r.record.finite ?? allFinite32(data),
          ...(header.kind === 'sketch' ? { kind: 'sketch' as const } : {}),
        });
      }
    }
    await run.writer.flush();
    for (const r of records) {
      if (!r.record) continue;
      const rec = { ...r.record, time } as RunRecord;
      if (rec.kind === 'message' && rec.message.type === 'checkpoint') step = rec.message.step;
      this.applyAndPublish(run.state, rec);
    }
    run.state.meta = { ...run.state.meta, bytes: run.state.meta.bytes + bytes };
    this.touchMeta(run.state);
    if (frames.length) for (const l of this.framesListeners) l(run.state, step, frames, decoded);
  }

  /** Appends a server event (status change, warning, advice) to a live run. */
  async appendEvent(run: LiveRun, event: ServerEvent): Promise<void> {
    await this.commit(run, [{ kind: RECORD_KIND.event, payload: encodeEvent(event), record: { kind: 'event', time: 0, event } }]);
  }

  private applyAndPublish(state: RunState, record: RunRecord): void {
    for (const delta of state.apply(record)) this.publish(runTopic(state.meta.id), { run: delta });
  }

  /** Persists a run's meta to the index and tells the run list, at most every 250 ms per run. */
  private touchMeta(state: RunState, immediate = false): void {
    const id = state.meta.id;
    const flush = () => {
      this.metaTimers.delete(id);
      const { id: _id, ...patch } = state.meta;
      this.index.update(id, patch);
      this.publish('runs', { runs: { kind: 'run', meta: state.meta } });
    };
    if (immediate) {
      clearTimeout(this.metaTimers.get(id));
      flush();
      return;
    }
    if (!this.metaTimers.has(id)) this.metaTimers.set(id, setTimeout(flush, 250));
  }

  /** Ends a live run: records the final status, syncs and closes its log. */
  async endRun(run: LiveRun, status: RunMeta['status'], reason?: string): Promise<void> {
    if (this.live.get(run.state.meta.id) !== run) return;
    this.live.delete(run.state.meta.id);
    return this.serial(run.state.meta.id, () => this.closeRun(run, status, reason));
  }

  private async closeRun(run: LiveRun, status: RunMeta['status'], reason?: string): Promise<void> {
    try {
      if (run.state.meta.status !== status) await this.appendEvent(run, { type: 'status', status, ...(reason ? { reason } : {}) });
      await run.writer.sync();
    } catch (err) {
      // The status still reaches the index; the log keeps what it had.
      this.log(`storage: STATUS_NOT_LOGGED run ${run.state.meta.id}: ${errorText(err)}`);
      run.state.meta = { ...run.state.meta, status, endedAt: Date.now() };
    } finally {
      await run.writer.close().catch((err: unknown) => this.log(`storage: CLOSE_FAILED run ${run.state.meta.id}: ${errorText(err)}`));
      this.touchMeta(run.state, true);
      await this.index.flush();
      this.remember(run.state);
      for (const l of this.endedListeners) l(run.state.meta.id);
    }
  }

  /**
   * Sets a run's tags and notes: an `annotation` event appended to its log and fsynced (so export, import and replay
   * carry it), then its meta. `change` gets the current annotation and returns the new one (it may throw to refuse).
   */
  annotate(id: string, change: (current: Annotation) => Annotation): Promise<RunMeta> {
    return this.serial(id, async () => {
      const meta = this.index.get(id);
      if (!meta) throw new ProtocolError('RUN_NOT_FOUND', `no run "${id}"`);
      const event: ServerEvent = { type: 'annotation', ...change(annotationOf(this.peek(id)?.meta ?? meta)) };
      const live = this.live.get(id);
      if (live) {
        await this.appendEvent(live, event);
        await live.writer.sync();
        this.touchMeta(live.state, true);
        await this.index.flush();
        return live.state.meta;
      }
      // A stored run: its log has no writer now (serial() keeps a resume from opening one meanwhile).
      const writer = await RunLogWriter.open(this.logPath(id));
      let bytes: number;
      try {
        writer.append(RECORD_KIND.event, encodeEvent(event), Date.now());
        await writer.sync();
        bytes = writer.size;
      } finally {
        await writer.close().catch((err: unknown) => this.log(`storage: CLOSE_FAILED run ${id}: ${errorText(err)}`));
      }
      const next = this.index.update(id, { tags: event.tags, notes: event.notes, bytes });
      await this.index.flush();
      const cached = this.past.get(id);
      if (cached) this.applyAndPublish(cached, { kind: 'event', time: Date.now(), event });
      this.publish('runs', { runs: { kind: 'run', meta: next } });
      return next;
    });
  }

  /** Records each layer's settle step in a run's meta (the overview's columns), when it changed. */
  noteSettle(id: string, settle: NonNullable<RunMeta['settle']>): void {
    const meta = this.index.get(id);
    if (!meta || JSON.stringify(meta.settle ?? null) === JSON.stringify(settle)) return;
    const next = this.index.update(id, { settle });
    const cached = this.past.get(id);
    if (cached) cached.meta = { ...cached.meta, settle };
    this.publish('runs', { runs: { kind: 'run', meta: next } });
  }

  /** A run's state: live, cached, or read from its log (JSON records only; frames are not needed for views). */
  async load(id: string): Promise<RunState | null> {
    const live = this.live.get(id);
    if (live) return live.state;
    const cached = this.past.get(id);
    if (cached) return cached;
    const meta = isValidRunId(id) ? this.index.get(id) : undefined;
    if (!meta) return null;
    let pending = this.loading.get(id);
    if (!pending) {
      pending = (async () => {
        const state = await readRunState(this.logPath(id), meta, this.logLimits);
        // The index is the authority on status and counters (recovery rewrote them after a crash); the log on tags and
        // notes and latest scalar values, which it backfills (an older index, or a crash between an annotation's
        // fsync and the index's write).
        const fromLog = summaryOf(state.meta);
        state.meta = { ...state.meta, ...meta, ...fromLog };
        if (!sameSummary(fromLog, meta)) this.index.update(id, fromLog);
        this.remember(state);
        return state;
      })().finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  /** The loaded state of a run, if it is in memory. */
  peek(id: string): RunState | undefined {
    return this.live.get(id)?.state ?? this.past.get(id);
  }

  private remember(state: RunState): void {
    this.past.set(state.meta.id, state);
  }

  /** Marks every live run interrupted, flushes and closes every log and the index. */
  async close(): Promise<void> {
    await Promise.all([...this.live.values()].map((run) => this.endRun(run, 'interrupted', 'server shutdown')));
    for (const t of this.metaTimers.values()) clearTimeout(t);
    await this.index.flush();
  }
}

/** A fresh run id: the name as a slug (storage's rules) cut to leave room for a random suffix. */
export function makeRunId(name: string): string {
  const slug = slugifyRunId(name)
    ?.slice(0, 48)
    .replace(/[-_]+$/, '');
  return `${slug || 'run'}-${randomBytes(4).toString('hex')}`;
}

type Summary = Pick<RunMeta, 'tags' | 'notes' | 'latest'>;

/** The parts of a meta its log is the authority on. */
function summaryOf(meta: RunMeta): Summary {
  return { ...(meta.tags ? { tags: meta.tags, notes: meta.notes ?? '' } : {}), ...(meta.latest ? { latest: meta.latest } : {}) };
}

function sameSummary(a: Summary, b: RunMeta): boolean {
  return JSON.stringify([a.tags ?? null, a.notes ?? null, a.latest ?? null]) === JSON.stringify([b.tags ?? null, b.notes ?? null, b.latest ?? null]);
}
