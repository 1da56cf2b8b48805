/**
 * A stored log's contents checked by the trainer protocol's own rules, record by record: the ingest parsers of
 * lib/protocol and the collector's checks (ingest-rules.ts, the masks, images and Grad-CAM intakes), plus what every
 * log the collector writes satisfies (a hello first, checkpoints complete and in increasing steps, scalars in order per
 * name, events that parse). Import refuses a log at its first bad record (LOG_INVALID, `details.reason` the rule's
 * code); readers of a data directory skip bad records instead (`accept`), so one bad record cannot crash or stall a view.
 */
import {
  PROTOCOL_VERSION,
  ProtocolError,
  decodeFrame,
  parseIngestMessage,
  rankSeriesName,
  type Checkpoint,
  type DecodedFrame,
  type ErrorCode,
  type IngestClientMessage,
  type IngestLimits,
  type LayerDecl,
  type Probe,
} from '../../lib/protocol';
import { GradcamIntake } from '../ingest/gradcam-frames';
import { ImagesIntake } from '../ingest/probe-images';
import { MasksIntake } from '../ingest/probe-masks';
import { checkpointBytes, checkpointProblem, frameProblem, layersProblem, probeDeclProblem } from '../ingest/rules';
import { sketchFrameProblem } from '../ingest/sketch-rules';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from '../http/limits';
import { decodeEvent, RECORD_KIND } from './records';
import type { RunRecord } from './run-state';
import type { RecordSink, StreamRecord } from '../storage/log-stream-reader';
import { recordSize } from '../storage/run-log-format';
import { StorageError } from '../storage/storage-error';

/** Why a stored record is refused: a protocol error code, or one of the rules only a log has. */
export type LogProblemCode = ErrorCode | 'STEP_ORDER' | 'BAD_EVENT' | 'BAD_TIME';
export interface LogProblem {
  code: LogProblemCode;
  message: string;
}

/** The limits a log is held to: the server's (serve flags), else the defaults. */
export type LogCheckLimits = IngestLimits & Pick<ConnectionLimits, 'maxTextBytes' | 'maxCheckpointBytes'>;

/** The default limits, those of a `layerwatch serve` without limit flags. */
export const DEFAULT_LOG_LIMITS: LogCheckLimits = {
  ...DEFAULT_LIMITS,
  maxTextBytes: DEFAULT_CONNECTION_LIMITS.maxTextBytes,
  maxCheckpointBytes: DEFAULT_CONNECTION_LIMITS.maxCheckpointBytes,
};

interface OpenCheckpoint {
  msg: Checkpoint;
  received: Set<string>;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

/** The rules for one log, fed its records in order. As a RecordSink it refuses the log at the first bad record. */
export class LogContentCheck implements RecordSink {
  private helloSeen = false;
  private runId: string | null = null;
  private layers: LayerDecl[] | null = null;
  private probe: Probe | null = null;
  private checkpoint: OpenCheckpoint | null = null;
  private lastStep = -1;
  private readonly scalarSteps = new Map<string, number>();
  private ended = false;
  private readonly masks = new MasksIntake();
  private readonly images = new ImagesIntake();
  private readonly gradcam = new GradcamIntake();
  /** Steps of the checkpoints seen (a Grad-CAM frame follows one of them). */
  private readonly checkpointSteps = new Set<number>();

  /** `frames: false` for readers that skip binary records (checkpoints are then not required to hold their frames). */
  constructor(
    private readonly limits: LogCheckLimits = DEFAULT_LOG_LIMITS,
    private readonly opts: { frames: boolean } = { frames: true },
  ) {}

  /** Refuses a record by its size before its payload is read: over the message or frame limit, or past the run byte limit. */
  header(kind: number, length: number, offset: number): void {
    const max = kind === RECORD_KIND.frame || kind === RECORD_KIND.analysis ? this.limits.maxFrameBytes : this.limits.maxTextBytes;
    if (length > max) throw invalid(offset, { code: 'FRAME_TOO_LARGE', message: `a kind-${kind} record of ${length} bytes; the limit is ${max}` });
    const end = offset + recordSize(length);
    if (end > this.limits.maxRunBytes)
      throw invalid(offset, { code: 'LIMIT_RUN_BYTES', message: `the log reaches ${end} bytes; the limit is ${this.limits.maxRunBytes}` });
  }

  /** Checks one record (RecordSink); throws LOG_INVALID naming its offset and the rule it breaks. */
  record(rec: StreamRecord): void {
    const r = this.accept(rec.kind, rec.time, rec.payload);
    if ('problem' in r) throw invalid(rec.offset, r.problem);
  }

  /** The input ended: a run needs its hello, and its last checkpoint all its frames. */
  end(): void {
    const problem = this.endProblem();
    if (problem)
      throw new StorageError('LOG_INVALID', `The log is not a valid run: ${problem.code}: ${problem.message}`, { details: { reason: problem.code } });
  }

  /** What is wrong with the log as a whole once every record was seen, or null. */
  endProblem(): LogProblem | null {
    if (!this.helloSeen) return { code: 'HELLO_REQUIRED', message: 'the log holds no hello, so it is not a run' };
    if (this.checkpoint) return incomplete(this.checkpoint);
    return null;
  }

  /** Checks one record and returns it decoded, or the problem (the record then changes nothing of the check's state). */
  accept(kind: number, time: number, payload: Uint8Array): { record: RunRecord | null } | { problem: LogProblem } {
    if (!Number.isFinite(time)) return { problem: { code: 'BAD_TIME', message: `the record's time is ${time}` } };
    if (kind === RECORD_KIND.analysis) return { record: null }; // not part of a run's own records; nothing reads them from log.lwlog
    if (!this.helloSeen && kind !== RECORD_KIND.message) return { problem: { code: 'HELLO_REQUIRED', message: 'a record before the hello' } };
    try {
      if (kind === RECORD_KIND.event) return this.event(time, payload);
      if (kind === RECORD_KIND.frame) return this.frame(time, payload);
      return this.message(time, parseIngestMessage(decoder.decode(payload)));
    } catch (err) {
      if (err instanceof ProtocolError) return { problem: { code: err.code, message: err.message } };
      if (err instanceof TypeError) return { problem: { code: 'BAD_JSON', message: 'the record is not UTF-8 text' } };
      throw err;
    }
  }

  private event(time: number, payload: Uint8Array): { record: RunRecord } | { problem: LogProblem } {
    let event: ReturnType<typeof decodeEvent>;
    try {
      event = decodeEvent(payload);
    } catch {
      event = null;
    }
    if (!event)
      return { problem: { code: 'BAD_EVENT', message: 'a server event that does not parse (status, resumed, warning, advice, annotation, combined or rank)' } };
    return { record: { kind: 'event', time, event } };
  }

  private message(time: number, msg: IngestClientMessage): { record: RunRecord } | { problem: LogProblem } {
    const problem = this.messageProblem(msg);
    return problem ? { problem } : { record: { kind: 'message', time, message: msg } };
  }

  private messageProblem(msg: IngestClientMessage): LogProblem | null {
    if (!this.helloSeen && msg.type !== 'hello') return { code: 'HELLO_REQUIRED', message: `the first message is a ${msg.type}, not a hello` };
    if (this.checkpoint && msg.type !== 'ping') return incomplete(this.checkpoint);
    switch (msg.type) {
      case 'hello': {
        if (Math.trunc(msg.protocol) !== PROTOCOL_VERSION)
          return { code: 'PROTOCOL_VERSION', message: `a hello for protocol ${msg.protocol}; this server reads ${PROTOCOL_VERSION}` };
        // A later hello is a resume of the same run, on a new connection.
        if (this.helloSeen && !msg.resume) return { code: 'ALREADY_HELLO', message: 'a second hello that does not resume the run' };
        if (msg.run.id !== undefined && this.runId !== null && msg.run.id !== this.runId)
          return { code: 'BAD_RUN_ID', message: `a hello of run "${msg.run.id}" in the log of run "${this.runId}"` };
        this.runId ??= msg.run.id ?? null;
        this.helloSeen = true;
        this.ended = false;
        return null;
      }
      case 'ping':
        return null;
      case 'layers': {
        const problem = layersProblem(msg.layers, this.limits);
        if (problem) return problem;
        if (this.layers && JSON.stringify(this.layers) !== JSON.stringify(msg.layers))
          return { code: 'DECLARATION_MISMATCH', message: 'layers differ from those the run declared' };
        this.layers = msg.layers;
        return null;
      }
      case 'probe': {
        const problem = probeDeclProblem(msg, this.limits);
        if (problem) return problem;
        const known = this.probe;
        if (known && (known.examples !== msg.examples || JSON.stringify(known.labels ?? null) !== JSON.stringify(msg.labels ?? null))) {
          return { code: 'DECLARATION_MISMATCH', message: 'the probe set differs from the one the run declared' };
        }
        this.masks.declare(msg);
        this.images.declare(msg);
        this.gradcam.declare(msg);
        this.probe = msg;
        return null;
      }
      case 'checkpoint': {
        if (this.ended) return { code: 'RUN_ENDED', message: `checkpoint ${msg.step} after the run's end` };
        const problem = checkpointProblem(msg, this.layers, this.probe);
        if (problem) return problem;
        if (msg.step <= this.lastStep)
          return {
            code: 'STEP_ORDER',
            message: `checkpoint ${msg.step} after checkpoint ${this.lastStep} (a log holds each checkpoint once, steps increasing)`,
          };
        const bytes = checkpointBytes(msg, this.layers!, this.probe!.examples);
        if (bytes > this.limits.maxCheckpointBytes)
          return {
            code: 'LIMIT_CHECKPOINT_BYTES',
            message: `checkpoint ${msg.step} holds ${bytes} bytes of activations; the limit is ${this.limits.maxCheckpointBytes}`,
          };
        this.lastStep = msg.step;
        this.checkpointSteps.add(msg.step);
        if (this.opts.frames) this.checkpoint = { msg, received: new Set() };
        return null;
      }
      case 'scalars': {
        if (this.ended) return { code: 'RUN_ENDED', message: `scalars at step ${msg.step} after the run's end` };
        // In order per name, and per name and rank for the ranks of a distributed run (as the collector deduplicates them).
        const keys = Object.keys(msg.values).map((name) => (msg.rank === undefined ? name : rankSeriesName(name, msg.rank)));
        for (const key of keys) {
          const last = this.scalarSteps.get(key);
          if (last !== undefined && msg.step <= last) return { code: 'STEP_ORDER', message: `scalar "${key}" at step ${msg.step} after step ${last}` };
        }
        for (const key of keys) this.scalarSteps.set(key, msg.step);
        return null;
      }
      case 'end':
        if (this.ended) return { code: 'RUN_ENDED', message: 'a second end' };
        this.ended = true;
        return null;
      case 'frozen': {
        if (this.ended) return { code: 'RUN_ENDED', message: `a freeze of "${msg.layer.slice(0, 200)}" after the run's end` };
        if (!this.layers?.some((l) => l.name === msg.layer))
          return { code: 'UNKNOWN_LAYER', message: `"frozen" names undeclared layer "${msg.layer.slice(0, 200)}"` };
        return null;
      }
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }

  private frame(time: number, payload: Uint8Array): { record: RunRecord } | { problem: LogProblem } {
    const frame = decodeFrame(payload);
    // A run id the hello did not give (the server assigned it) is the one its frames name, all of them.
    const runId = this.runId ?? frame.header.run ?? '';
    const problem = this.checkpoint ? this.checkpointFrameProblem(this.checkpoint, frame, runId) : this.probeDataProblem(frame, runId);
    if (problem) return { problem };
    if (frame.header.run !== undefined) this.runId ??= frame.header.run;
    return { record: { kind: 'frame', time, frame } };
  }

  private checkpointFrameProblem(cp: OpenCheckpoint, frame: DecodedFrame, runId: string): LogProblem | null {
    const problem = frameProblem(frame.header, cp.msg, this.layers!, this.probe!.examples, runId, cp.received) ?? sketchFrameProblem(frame.header, frame.data);
    if (problem) return problem;
    cp.received.add(frame.header.layer);
    if (cp.received.size === cp.msg.layers.length) this.checkpoint = null;
    return null;
  }

  /** A frame outside a checkpoint: concept masks, probe images or Grad-CAM maps, as the collector takes them. */
  private probeDataProblem(frame: DecodedFrame, runId: string): LogProblem | null {
    const kind = frame.header.kind;
    if (kind === 'gradcam') return this.gradcam.check(frame, runId, (step) => this.checkpointSteps.has(step));
    if (kind !== 'masks' && kind !== 'images')
      return { code: 'UNEXPECTED_FRAME', message: `a frame of layer "${frame.header.layer.slice(0, 200)}" outside any checkpoint` };
    return (kind === 'masks' ? this.masks : this.images).check(frame, runId);
  }
}

function incomplete(cp: OpenCheckpoint): LogProblem {
  return {
    code: 'CHECKPOINT_INCOMPLETE',
    message: `checkpoint ${cp.msg.step} has ${cp.msg.layers.length - cp.received.size} of its ${cp.msg.layers.length} frames missing`,
  };
}

function invalid(offset: number, p: LogProblem): StorageError {
  return new StorageError('LOG_INVALID', `The record at byte ${offset} is not valid: ${p.code}: ${p.message}`, { details: { offset, reason: p.code } });
}
