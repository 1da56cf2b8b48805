/** /ingest: one state machine per trainer connection — hello, declarations, checkpoints of binary frames, scalars, end. */
import zlib from 'node:zlib';
import type WebSocket from 'ws';
import {
  ERROR_CODES,
  PROTOCOL_VERSION,
  ProtocolError,
  decodeFrame,
  parseIngestMessage,
  shapeSize,
  type AckOf,
  type Checkpoint,
  type DecodedFrame,
  type Frozen,
  type ErrorCode,
  type IngestClientMessage,
  type IngestLimits,
  type IngestServerMessage,
  type LayerDecl,
  type Probe,
} from '../../lib/protocol';
import { DEFAULT_CONNECTION_LIMITS, RateLimiter, type Budget, type ConnectionLimits } from '../http/limits';
import { RECORD_KIND } from '../runs/records';
import type { CommitRecord, LiveRun, RunRegistry, TrainerLink } from '../runs/registry';
import type { RunState } from '../runs/run-state';
import { tokensEqual } from '../http/auth';
import { countNonFinite32 } from '../../lib/codecs/finite';
import { MasksIntake } from './probe-masks';
import { ImagesIntake } from './probe-images';
import { GradcamIntake } from './gradcam-frames';
import { checkpointBytes, checkpointProblem, frameProblem, layersProblem, probeDeclProblem, wireFrameProblem } from './rules';
import { RankSession, type RankLink, type RankReplies } from './rank-group';
import { sketchFrameProblem } from './sketch-rules';
import { frameToStore, storedAsReceived, type StoreDtype } from '../storage/float16-store';

export interface CollectorOptions {
  registry: RunRegistry;
  limits: IngestLimits;
  token?: string;
  serverName: string;
  /** Bytes buffered in a run's writer above which the connection stops reading (backpressure). */
  highWaterBytes?: number;
  /** How raw activations are stored when the run's hello does not say (options.storage.dtype); default float32. */
  storeDtype?: StoreDtype;
  /** Memory bounds per connection (server/http/limits.ts); defaults when omitted. */
  connectionLimits?: Pick<ConnectionLimits, 'maxTextBytes' | 'maxCheckpointBytes' | 'maxSendBufferBytes'>;
  /** Trainer slots (--max-ingest-connections), taken by an authenticated hello: idle or unauthenticated sockets hold none. */
  trainers?: Budget;
  /** Checkpoint bytes held in memory over all connections (--max-inflight-bytes). */
  inflight?: Budget;
  /**
   * A checkpoint's frame arrived, valid and finite, and will be stored exactly as received (the analysis prepares it
   * while the rest of the checkpoint streams: server/analysis/prefetch.ts). Nothing is stored yet; the checkpoint may
   * still be dropped.
   */
  frameArrived?: (state: RunState, frame: DecodedFrame) => void;
  /** Milliseconds to wait for the hello before closing with HANDSHAKE_TIMEOUT (none when omitted). */
  handshakeTimeoutMs?: number;
  log?: (line: string) => void;
}

interface OpenCheckpoint {
  msg: Checkpoint;
  raw: Buffer;
  remaining: number;
  /** Per layer: the frame, its NaN/Inf count and its payload CRC, both taken as it arrived (spreads the work over the frames). */
  frames: Map<string, { raw: Buffer; frame: DecodedFrame; bad: number; crc: number }>;
  failed: boolean;
  /** Bytes taken from the server-wide in-flight budget, given back once the checkpoint is stored or dropped. */
  reserved: number;
}

const ACKABLE: readonly string[] = ['layers', 'probe', 'checkpoint', 'scalars', 'end', 'frozen'];

/** Handles one trainer connection. */
export class IngestConnection implements TrainerLink {
  private run: LiveRun | null = null;
  private checkpoint: OpenCheckpoint | null = null;
  private readonly masks = new MasksIntake();
  private readonly images = new ImagesIntake();
  private readonly gradcam = new GradcamIntake();
  private replies: Promise<void> = Promise.resolve();
  private readonly rate: RateLimiter;
  private closed = false;
  private ended = false;
  /** Messages that arrived while the hello was being answered: handled after it, in order (a connection is one run). */
  private queued: Array<{ data: Buffer; isBinary: boolean }> | null = null;
  private helloSeen = false;
  private holdsSlot = false;
  private readonly deadline: NodeJS.Timeout | null;
  /** Layers whose freeze this connection has accepted for storing (pipelined repeats are acknowledged as duplicates). */
  private readonly frozen = new Set<string>();
  /** This connection's rank in a distributed run (server/ingest/rank-group.ts), or null. */
  private ranks: RankSession | null = null;
  private readonly rankLink: RankLink = {
    close: (code, reason) => {
      this.closed = true;
      this.ws.close(code, reason);
    },
  };
  private readonly rankReplies: RankReplies = {
    error: (code, message, of) => this.error(code, message, of),
    reply: (after, make, of) => this.reply(after, make, of),
  };

  constructor(
    private readonly ws: WebSocket,
    private readonly opts: CollectorOptions,
  ) {
    this.rate = new RateLimiter(opts.limits.maxMessagesPerSecond);
    ws.on('message', (data: Buffer, isBinary) => this.receive(data, isBinary));
    ws.on('close', () => void this.onClose());
    ws.on('error', () => {});
    // An idle socket (the library answers pings, so heartbeats keep it) must not hold a descriptor forever.
    this.deadline = opts.handshakeTimeoutMs
      ? setTimeout(() => {
          if (!this.helloSeen && !this.closed) this.error('HANDSHAKE_TIMEOUT', `no hello within ${opts.handshakeTimeoutMs} ms of connecting`);
        }, opts.handshakeTimeoutMs).unref()
      : null;
  }

  private receive(data: Buffer, isBinary: boolean): void {
    try {
      this.onMessage(data, isBinary);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Sends the trainer an unsolicited message (advice), in order with the replies. */
  notify(msg: IngestServerMessage): void {
    this.reply(Promise.resolve(), () => msg);
  }

  private send(msg: IngestServerMessage): void {
    if (this.ws.readyState !== this.ws.OPEN) return;
    // A peer that floods us without reading its replies would make this queue grow without bound.
    if (this.ws.bufferedAmount > (this.opts.connectionLimits ?? DEFAULT_CONNECTION_LIMITS).maxSendBufferBytes) {
      this.opts.log?.('ingest: dropping a trainer that does not read its replies');
      this.closed = true;
      return void this.ws.terminate();
    }
    this.ws.send(JSON.stringify(msg));
  }

  /** Queues a reply behind earlier ones, so replies keep the order of the messages they answer. */
  private reply(after: Promise<unknown>, make: () => IngestServerMessage | null, of?: AckOf): void {
    // The chain reaches `after` only once earlier replies are out; until then its rejection must count as handled,
    // or Node ends the process on an unhandled rejection (a second "end" on a closed log did exactly that).
    after.catch(() => {});
    this.replies = this.replies
      .then(() => after)
      .then(
        () => {
          const m = make();
          if (m) this.send(m);
        },
        (err) => this.send(this.errorMessage(err, of)),
      )
      // A throw in make() or send() must not become an unhandled rejection: that would end the whole server.
      .catch((err: unknown) => {
        this.opts.log?.(`ingest: INTERNAL run ${this.run?.state.meta.id ?? '(none)'}: ${(err as Error)?.stack ?? err}`);
        this.closed = true;
        this.ws.close(ERROR_CODES.INTERNAL.close, 'INTERNAL');
      });
  }

  private errorMessage(err: unknown, of?: AckOf): IngestServerMessage {
    const e = err as { code?: string; message?: string };
    const code: ErrorCode =
      e?.code === 'ENOSPC' || e?.code === 'DISK_FULL' ? 'DISK_FULL' : e?.code && e.code in ERROR_CODES ? (e.code as ErrorCode) : 'IO_ERROR';
    if (code === 'IO_ERROR') this.opts.log?.(`ingest: IO_ERROR run ${this.run?.state.meta.id ?? '(none)'}: ${e?.message}`);
    return { type: 'error', code, message: e?.message ?? String(err), fatal: ERROR_CODES[code].fatal, ...(of ? { of } : {}) };
  }

  /** Sends an error in order with the other replies; fatal ones close the connection after it. */
  private error(code: ErrorCode, message: string, of?: AckOf, extra: { step?: number; layer?: string } = {}): void {
    const spec = ERROR_CODES[code];
    this.reply(Promise.resolve(), () => ({ type: 'error', code, message, fatal: spec.fatal, ...(of ? { of } : {}), ...extra }));
    if (spec.fatal) {
      this.closed = true;
      void this.replies.then(() => this.ws.close(spec.close, code));
    }
  }

  private fail(err: unknown): void {
    if (err instanceof ProtocolError) return this.error(err.code, err.message);
    this.opts.log?.(`ingest: internal error: ${(err as Error)?.stack ?? err}`);
    this.error('INTERNAL', 'internal error');
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.closed) return;
    // ws emits every message of a received chunk even after pause(): hold them until the hello is answered.
    if (this.queued) return void this.queued.push({ data, isBinary });
    const maxText = (this.opts.connectionLimits ?? DEFAULT_CONNECTION_LIMITS).maxTextBytes;
    if (!isBinary && data.length > maxText) {
      return this.error('FRAME_TOO_LARGE', `a JSON message of ${data.length} bytes exceeds the ${maxText}-byte limit for text messages (--max-text-bytes)`);
    }
    if (!this.rate.take()) {
      if (isBinary) {
        if (this.checkpoint) this.failCheckpoint('RATE_LIMITED', 'frame dropped: too many messages per second');
        else this.error('RATE_LIMITED', 'frame dropped: too many messages per second');
      } else {
        this.error('RATE_LIMITED', 'message dropped: too many messages per second', ackOf(data));
      }
      return;
    }
    if (isBinary) return this.onFrame(data);
    if (this.checkpoint) {
      // A JSON message before every announced frame arrived: the open checkpoint cannot complete.
      const cp = this.checkpoint;
      this.checkpoint = null;
      this.release(cp);
      if (!cp.failed)
        this.error('CHECKPOINT_INCOMPLETE', `checkpoint ${cp.msg.step} had ${cp.remaining} frame(s) missing`, 'checkpoint', { step: cp.msg.step });
    }
    let msg: IngestClientMessage;
    try {
      msg = parseIngestMessage(data.toString('utf8'));
    } catch (err) {
      if (err instanceof ProtocolError) {
        if (!this.run) return this.error('HELLO_REQUIRED', `the first message must be a valid hello (${err.message})`);
        return this.error(err.code, err.message, ackOf(data));
      }
      throw err;
    }
    if (!this.run) {
      if (msg.type !== 'hello') return this.error('HELLO_REQUIRED', `the first message must be a hello, got "${msg.type}"`);
      return this.onHello(msg, data);
    }
    this.dispatch(msg, data);
  }

  private dispatch(msg: IngestClientMessage, raw: Buffer): void {
    const run = this.run!;
    if (RankSession.handle(this.ranks, msg, this.rankReplies)) return;
    switch (msg.type) {
      case 'hello':
        return this.error('ALREADY_HELLO', 'this connection already streams a run; open another connection for another run');
      case 'ping':
        return this.reply(Promise.resolve(), () => ({ type: 'pong', ...(msg.id !== undefined ? { id: msg.id } : {}) }));
      case 'layers':
        return this.onLayers(run, msg.layers, raw, msg);
      case 'probe':
        return this.onProbe(run, msg, raw);
      case 'checkpoint':
        return this.onCheckpoint(run, msg, raw);
      case 'scalars': {
        if (this.ended) return this.error('RUN_ENDED', 'the run has ended', 'scalars');
        const fresh: Record<string, number | null> = {};
        for (const [name, value] of Object.entries(msg.values)) {
          if (msg.step > (run.scalarSteps.get(name) ?? -Infinity)) {
            fresh[name] = value;
            run.scalarSteps.set(name, msg.step);
          }
        }
        if (Object.keys(fresh).length === 0) return this.reply(Promise.resolve(), () => ({ type: 'ack', of: 'scalars', step: msg.step, duplicate: true }));
        const stored = { ...msg, values: fresh };
        const payload = Object.keys(fresh).length === Object.keys(msg.values).length ? raw : JSON.stringify(stored);
        void this.store(
          run,
          [{ kind: RECORD_KIND.message, payload, record: { kind: 'message', time: 0, message: stored } }],
          () => ({ type: 'ack', of: 'scalars', step: msg.step }),
          'scalars',
        );
        return;
      }
      case 'end': {
        if (this.ended) return this.error('RUN_ENDED', 'the run has ended', 'end');
        this.ended = true;
        // A distributed run first waits (bounded) for its other ranks, after the replies before this end went out.
        const ranks = this.ranks;
        const ready = ranks ? this.replies.then(() => ranks.endRun()) : Promise.resolve();
        const done = ready
          .then(() => this.opts.registry.commit(run, [{ kind: RECORD_KIND.message, payload: raw, record: { kind: 'message', time: 0, message: msg } }]))
          .then(() => this.opts.registry.endRun(run, msg.status));
        return this.reply(done, () => ({ type: 'ack', of: 'end' }), 'end');
      }
      case 'frozen':
        return this.onFrozen(run, msg, raw);
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }

  private onHello(msg: Extract<IngestClientMessage, { type: 'hello' }>, raw: Buffer): void {
    this.helloSeen = true;
    if (this.deadline) clearTimeout(this.deadline);
    if (Math.trunc(msg.protocol) !== PROTOCOL_VERSION) {
      return this.error('PROTOCOL_VERSION', `this server speaks protocol ${PROTOCOL_VERSION}; the client asked for ${msg.protocol}`);
    }
    if (this.opts.token !== undefined && !tokensEqual(msg.token, this.opts.token)) {
      return this.error('UNAUTHORIZED', 'missing or wrong token');
    }
    // Slots are counted after authentication, so sockets that never authenticate cannot lock trainers out.
    if (this.opts.trainers) {
      if (!this.opts.trainers.take())
        return this.error('SERVER_FULL', `the server already serves ${this.opts.trainers.max} trainers (--max-ingest-connections); reconnect later`);
      this.holdsSlot = true;
    }
    if (msg.run.rank !== undefined && msg.run.rank > 0) return this.onRankHello(msg);
    // Nothing else is handled until the run is open: later messages wait in the socket, or in `queued` when ws has
    // already parsed them (a second hello in the same write must become ALREADY_HELLO, not a second run).
    this.ws.pause();
    this.queued = [];
    const { token: _token, ...stored } = msg;
    let resumed = false;
    const started = this.opts.registry
      .startRun(msg, this, (previous) => (previous as IngestConnection).takenOver())
      .then(async (r) => {
        this.run = r.run;
        resumed = r.resumed;
        this.ranks = RankSession.owner(this.opts.registry, r.run, msg, this.opts.log);
        // Stored as received, except that a token never reaches the disk.
        const payload = msg.token === undefined ? raw : JSON.stringify(stored);
        await this.opts.registry.commit(r.run, [{ kind: RECORD_KIND.message, payload, record: { kind: 'message', time: 0, message: stored } }]);
      });
    // Taken over by another connection (resuming the same run) before the welcome went out: no welcome.
    this.reply(started, () => (this.run ? this.welcome(this.run, resumed) : null));
    this.resumeAfterHello();
  }

  /** A rank other than 0 of a distributed run attaches to the run its rank 0 streams (server/ingest/rank-group.ts). */
  private onRankHello(msg: Extract<IngestClientMessage, { type: 'hello' }>): void {
    this.ws.pause();
    this.queued = [];
    const attached = RankSession.attach(this.opts.registry, msg, this.rankLink).then((session) => {
      this.ranks = session;
      this.run = session.run;
    });
    this.reply(attached, () => (this.run ? this.welcome(this.run, false) : null));
    this.resumeAfterHello();
  }

  private welcome(run: LiveRun, resumed: boolean): IngestServerMessage {
    const { state } = run;
    return {
      type: 'welcome',
      protocol: PROTOCOL_VERSION,
      server: this.opts.serverName,
      runId: state.meta.id,
      resumed,
      lastStep: state.lastStep,
      checkpoints: state.steps.length,
      limits: this.opts.limits,
    };
  }

  /** Once the hello is answered: reads on with a run, or closes the refused connection. */
  private resumeAfterHello(): void {
    void this.replies.then(() => {
      const queued = this.queued ?? [];
      this.queued = null;
      if (!this.run) {
        this.closed = true;
        this.ws.resume(); // so the peer's close frame is read: paused, the closing handshake waited out ws's 30 s timer
        return this.ws.close(1008, 'hello refused');
      }
      for (const q of queued) this.receive(q.data, q.isBinary);
      this.ws.resume();
    });
  }

  /** Another connection resumed this run: stop writing to it. */
  private takenOver(): void {
    this.run = null;
    this.closed = true;
    this.ws.close(1008, 'run resumed by another connection');
  }

  private onLayers(run: LiveRun, layers: LayerDecl[], raw: Buffer, msg: IngestClientMessage): void {
    const problem = layersProblem(layers, this.opts.limits);
    if (problem) return this.error(problem.code, problem.message, 'layers');
    if (run.declared.layers) {
      if (JSON.stringify(run.declared.layers) !== JSON.stringify(layers))
        return this.error('DECLARATION_MISMATCH', 'layers differ from those this run declared', 'layers');
      return this.reply(Promise.resolve(), () => ({ type: 'ack', of: 'layers' }));
    }
    run.declared.layers = layers;
    this.store(
      run,
      [{ kind: RECORD_KIND.message, payload: raw, record: { kind: 'message', time: 0, message: msg } }],
      () => ({ type: 'ack', of: 'layers' }),
      'layers',
      () => {
        run.declared.layers = null;
      },
    );
  }

  private onProbe(run: LiveRun, msg: Probe, raw: Buffer): void {
    const m = msg.examples;
    const problem = probeDeclProblem(msg, this.opts.limits);
    if (problem) return this.error(problem.code, problem.message, 'probe');
    this.masks.declare(msg);
    this.images.declare(msg);
    this.gradcam.declare(msg);
    const known = run.declared.probe;
    if (known) {
      const same = known.examples === m && JSON.stringify(known.labels ?? null) === JSON.stringify(msg.labels ?? null);
      if (!same) return this.error('DECLARATION_MISMATCH', 'the probe set differs from the one this run declared', 'probe');
      return this.reply(Promise.resolve(), () => ({ type: 'ack', of: 'probe' }));
    }
    run.declared.probe = { examples: m, labels: msg.labels ?? null };
    this.store(
      run,
      [{ kind: RECORD_KIND.message, payload: raw, record: { kind: 'message', time: 0, message: msg } }],
      () => ({ type: 'ack', of: 'probe' }),
      'probe',
      () => {
        run.declared.probe = null;
      },
    );
  }

  /** The trainer froze a layer: stored once per layer (a resent confirmation is acknowledged as a duplicate). */
  private onFrozen(run: LiveRun, msg: Frozen, raw: Buffer): void {
    if (this.ended) return this.error('RUN_ENDED', 'the run has ended', 'frozen');
    const layers = run.declared.layers ?? run.state.layers;
    if (!layers.some((l) => l.name === msg.layer))
      return this.error('UNKNOWN_LAYER', `"frozen" names undeclared layer "${msg.layer.slice(0, 200)}"`, 'frozen', { layer: msg.layer.slice(0, 200) });
    if (this.frozen.has(msg.layer) || run.state.frozen.some((f) => f.layer === msg.layer)) {
      return this.reply(Promise.resolve(), () => ({ type: 'ack', of: 'frozen', step: msg.step, duplicate: true }));
    }
    this.frozen.add(msg.layer);
    this.store(
      run,
      [{ kind: RECORD_KIND.message, payload: raw, record: { kind: 'message', time: 0, message: msg } }],
      () => ({ type: 'ack', of: 'frozen', step: msg.step }),
      'frozen',
      () => {
        this.frozen.delete(msg.layer);
      },
    );
  }

  /** How the run's raw activations are stored: its hello's choice, else the server's. */
  private storeDtype(run: LiveRun): StoreDtype {
    return run.state.options.storage?.dtype ?? this.opts.storeDtype ?? 'float32';
  }

  private onCheckpoint(run: LiveRun, msg: Checkpoint, raw: Buffer): void {
    const { state, declared } = run;
    if (this.ended) return this.error('RUN_ENDED', 'the run has ended', 'checkpoint');
    const problem = checkpointProblem(msg, declared.layers, declared.probe);
    if (problem) return this.error(problem.code, problem.message, 'checkpoint', { step: msg.step });
    const bytes = checkpointBytes(msg, declared.layers!, declared.probe!.examples);
    // Counts what is written but not yet flushed too, so pipelined checkpoints cannot overshoot the limit.
    // Opened as failed, so its frames are swallowed instead of each drawing an UNEXPECTED_FRAME.
    const refuse = (code: ErrorCode, message: string) => {
      this.error(code, message, 'checkpoint', { step: msg.step });
      this.checkpoint = { msg, raw, remaining: msg.layers.length, frames: new Map(), failed: true, reserved: 0 };
    };
    const held = state.meta.bytes + run.writer.pendingBytes;
    if (held + bytes > this.opts.limits.maxRunBytes) {
      return refuse('LIMIT_RUN_BYTES', `the run holds ${held} bytes and checkpoint ${msg.step} adds ${bytes}; the limit is ${this.opts.limits.maxRunBytes}`);
    }
    const maxCp = (this.opts.connectionLimits ?? DEFAULT_CONNECTION_LIMITS).maxCheckpointBytes;
    if (bytes > maxCp)
      return refuse(
        'LIMIT_CHECKPOINT_BYTES',
        `checkpoint ${msg.step} announces ${bytes} bytes of activations; the limit is ${maxCp} (send fewer layers per checkpoint)`,
      );
    const { inflight } = this.opts;
    if (inflight && !inflight.take(bytes)) {
      return refuse(
        'LIMIT_INFLIGHT_BYTES',
        `the server holds ${inflight.inUse} bytes of open checkpoints (limit ${inflight.max}); checkpoint ${msg.step} (${bytes} bytes) was not taken: resend it shortly`,
      );
    }
    this.checkpoint = { msg, raw, remaining: msg.layers.length, frames: new Map(), failed: false, reserved: inflight ? bytes : 0 };
  }

  /** Gives a checkpoint's bytes back to the server-wide budget (once). */
  private release(cp: OpenCheckpoint): void {
    if (cp.reserved) this.opts.inflight?.give(cp.reserved);
    cp.reserved = 0;
  }

  private failCheckpoint(code: ErrorCode, message: string, layer?: string): void {
    const cp = this.checkpoint!;
    if (!cp.failed) this.error(code, message, 'checkpoint', { step: cp.msg.step, ...(layer ? { layer } : {}) });
    cp.failed = true;
    cp.frames.clear();
    this.release(cp);
    if (--cp.remaining <= 0) this.checkpoint = null;
  }

  private onFrame(data: Buffer): void {
    if (this.ranks && this.ranks.rank > 0)
      return this.error('NOT_OWNER', `rank ${this.ranks.rank} sent a binary frame: only rank 0 of a distributed run sends frames`);
    const cp = this.checkpoint;
    if (!cp) return this.onProbeDataFrame(data);
    if (cp.failed) {
      if (--cp.remaining <= 0) this.checkpoint = null;
      return;
    }
    let frame: DecodedFrame;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      if (err instanceof ProtocolError) return this.failCheckpoint(err.code, err.message);
      throw err;
    }
    const { header } = frame;
    const run = this.run!;
    const problem =
      wireFrameProblem(header) ??
      frameProblem(header, cp.msg, run.declared.layers!, run.declared.probe!.examples, run.state.meta.id, cp.frames) ??
      sketchFrameProblem(header, frame.data);
    if (problem) return this.failCheckpoint(problem.code, problem.message, problem.layer);
    const bad = countNonFinite32(frame.data);
    cp.frames.set(header.layer, { raw: data, frame, bad, crc: zlib.crc32(data) });
    // The analysis may start on a frame before its checkpoint is complete, if it is stored byte for byte as it arrived.
    if (this.opts.frameArrived && storedAsReceived(this.storeDtype(run), header, bad === 0)) this.opts.frameArrived(run.state, frame);
    if (--cp.remaining > 0) return;
    this.checkpoint = null;
    this.commitCheckpoint(run, cp);
  }

  /** A frame outside a checkpoint: concept masks (collector-masks.ts), probe images (collector-images.ts) or Grad-CAM maps (collector-gradcam.ts), else UNEXPECTED_FRAME as before. */
  private onProbeDataFrame(data: Buffer): void {
    let frame: DecodedFrame | null = null;
    try {
      frame = decodeFrame(data);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
    }
    const kind = frame?.header.kind;
    if (!frame || (kind !== 'masks' && kind !== 'images' && kind !== 'gradcam'))
      return this.error('UNEXPECTED_FRAME', 'binary frame without an open checkpoint; it was discarded');
    const run = this.run!;
    const id = run.state.meta.id;
    const problem =
      kind === 'gradcam'
        ? this.gradcam.check(frame, id, (step) => step === run.acceptedStep || run.state.steps.includes(step))
        : (kind === 'masks' ? this.masks : this.images).check(frame, id);
    if (problem) return this.error(problem.code, problem.message, kind);
    const ack = kind === 'gradcam' ? { step: frame.header.step } : {};
    this.store(run, [{ kind: RECORD_KIND.frame, payload: data, record: { kind: 'frame', time: 0, frame } }], () => ({ type: 'ack', of: kind, ...ack }), kind);
  }

  private commitCheckpoint(run: LiveRun, cp: OpenCheckpoint): void {
    const step = cp.msg.step;
    if (step <= run.acceptedStep) {
      this.release(cp);
      return this.reply(Promise.resolve(), () => ({ type: 'ack', of: 'checkpoint', step, duplicate: true }));
    }
    run.acceptedStep = step;
    const records: CommitRecord[] = [{ kind: RECORD_KIND.message, payload: cp.raw, record: { kind: 'message', time: 0, message: cp.msg } }];
    const warnings: string[] = [];
    const dtype = this.storeDtype(run);
    for (const name of cp.msg.layers) {
      const { raw, frame, bad, crc } = cp.frames.get(name)!;
      const stored = frameToStore(dtype, raw, frame, crc, bad === 0);
      // The registry reads `finite` instead of scanning again; the log writer keeps the payload (ws never reuses it) without a copy.
      records.push({
        kind: RECORD_KIND.frame,
        payload: stored.payload,
        record: { kind: 'frame', time: 0, frame, finite: bad === 0 },
        append: { payloadCrc: stored.crc, owned: true },
      });
      if (bad) {
        warnings.push(name);
        records.push(nonFiniteEvent(name, step, bad, shapeSize(frame.header.shape)));
      }
    }
    for (const layer of warnings) {
      this.send({
        type: 'warning',
        code: 'NON_FINITE',
        layer,
        step,
        message: `layer "${layer}" at step ${step} has NaN or Inf values; it is excluded from analysis at this step`,
      });
    }
    const done = this.store(
      run,
      records,
      () => ({ type: 'ack', of: 'checkpoint', step }),
      'checkpoint',
      () => {
        run.acceptedStep = run.state.lastStep ?? -1;
      },
    );
    // The frames stay in memory until written: only then are their bytes free for another checkpoint.
    void done.then(
      () => this.release(cp),
      () => this.release(cp),
    );
  }

  private store(run: LiveRun, records: Parameters<RunRegistry['commit']>[1], ack: () => IngestServerMessage, of: AckOf, onFail?: () => void): Promise<void> {
    const done = this.opts.registry.commit(run, records);
    done.catch(() => onFail?.());
    this.reply(done, ack, of);
    const high = this.opts.highWaterBytes ?? 256 * 1024 * 1024;
    if (run.writer.pendingBytes > high && !this.ws.isPaused) {
      this.ws.pause();
      void run.writer.flush().finally(() => this.ws.resume());
    }
    return done;
  }

  private async onClose(): Promise<void> {
    this.closed = true;
    if (this.deadline) clearTimeout(this.deadline);
    if (this.checkpoint) this.release(this.checkpoint);
    this.checkpoint = null;
    this.queued = null;
    if (this.holdsSlot) this.opts.trainers?.give();
    this.holdsSlot = false;
    const run = this.run;
    this.run = null;
    await this.replies; // never rejects: reply() ends the chain with its own catch
    this.ranks?.closed(this.rankLink);
    if (run && run.owner === this && !this.ended) {
      await this.ranks?.endRun(0);
      await this.opts.registry.endRun(run, 'interrupted', 'trainer disconnected');
    }
  }
}

function ackOf(data: Buffer): AckOf | undefined {
  try {
    const t = (JSON.parse(data.toString('utf8')) as { type?: unknown })?.type;
    return typeof t === 'string' && ACKABLE.includes(t) ? (t as AckOf) : undefined;
  } catch {
    return undefined;
  }
}

function nonFiniteEvent(layer: string, step: number, bad: number, total: number) {
  const warning = { code: 'NON_FINITE', message: `${bad} of ${total} values are NaN or Inf; layer excluded from analysis at this step`, step, layer };
  const event = { type: 'warning' as const, warning };
  return { kind: RECORD_KIND.event, payload: JSON.stringify(event), record: { kind: 'event' as const, time: 0, event } };
}
