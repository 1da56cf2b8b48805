/** Every error code either websocket endpoint can send: one table, documented in docs/protocol.md. */

export interface ErrorSpec {
  /** Whether the server closes the connection after sending it. */
  fatal: boolean;
  /** Websocket close code used when fatal. */
  close: number;
  /** What the peer should do about it. */
  hint: string;
}

export const ERROR_CODES = {
  BAD_JSON: { fatal: false, close: 1007, hint: 'Text frames must be one JSON object; the frame was ignored.' },
  BAD_MESSAGE: { fatal: false, close: 1007, hint: 'The message does not match its schema; see the message for the field. It was ignored.' },
  UNKNOWN_TYPE: { fatal: false, close: 1007, hint: 'The "type" field names no message of this protocol version; it was ignored.' },
  PROTOCOL_VERSION: { fatal: true, close: 1002, hint: 'The hello asked for a protocol version this server does not speak; upgrade the client or server.' },
  HELLO_REQUIRED: { fatal: true, close: 1002, hint: 'The first message on /ingest must be a hello.' },
  UNAUTHORIZED: { fatal: true, close: 1008, hint: 'A valid token is required (hello.token on /ingest, ?token= or the cookie on /live).' },
  ALREADY_HELLO: { fatal: false, close: 1002, hint: 'This connection already has a run; open a new connection for another run.' },
  RUN_EXISTS: { fatal: true, close: 1008, hint: 'A run with this id exists; set "resume": true to append to it, or choose another id.' },
  RUN_NOT_FOUND: { fatal: false, close: 1008, hint: 'No stored run has this id.' },
  BAD_RUN_ID: { fatal: true, close: 1008, hint: 'Run ids are 1-64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit.' },
  DECLARATION_MISMATCH: {
    fatal: false,
    close: 1008,
    hint: 'Layers or probe set differ from what this run declared before; a run keeps one architecture and probe set.',
  },
  PROBE_MISMATCH: {
    fatal: false,
    close: 1008,
    hint: 'Probe labels, class names, concept labels, masks, images or Grad-CAM examples/classes do not match the declared probe set (sizes, indices, chunk order, value range).',
  },
  NOT_DECLARED: { fatal: false, close: 1008, hint: 'Declare the layers and the probe set before sending checkpoints.' },
  UNKNOWN_LAYER: { fatal: false, close: 1008, hint: 'A checkpoint, frame or unit-examples request names a layer the run did not declare.' },
  UNEXPECTED_FRAME: {
    fatal: false,
    close: 1003,
    hint: 'A binary frame arrived that no open checkpoint announced (or for another step or run); it was discarded.',
  },
  BAD_FRAME: {
    fatal: false,
    close: 1007,
    hint: 'The binary frame is malformed (magic, header length, header JSON or payload length); the checkpoint was discarded.',
  },
  SHAPE_MISMATCH: {
    fatal: false,
    close: 1007,
    hint: 'The frame shape does not match the declared layer (units × probe examples); the checkpoint was discarded.',
  },
  BAD_SKETCH: {
    fatal: false,
    close: 1007,
    hint: 'A sketch frame does not hold a sketch: singular values out of order or above the total variance, or basis rows that are not unit length; the checkpoint was discarded.',
  },
  CHECKPOINT_INCOMPLETE: {
    fatal: false,
    close: 1008,
    hint: 'A new message arrived before every layer of the open checkpoint was sent; the open checkpoint was discarded.',
  },
  FRAME_TOO_LARGE: { fatal: true, close: 1009, hint: "A websocket message exceeded the server's frame limit (--max-frame)." },
  LIMIT_LAYERS: { fatal: false, close: 1008, hint: 'More layers than the server allows per run (--max-layers).' },
  LIMIT_UNITS: { fatal: false, close: 1008, hint: 'A layer has more units than the server allows (--max-units).' },
  LIMIT_EXAMPLES: { fatal: false, close: 1008, hint: 'The probe set is larger than the server allows (--max-examples).' },
  LIMIT_CLASSES: {
    fatal: false,
    close: 1008,
    hint: 'The probe set has more classes (class names, or the largest label + 1 without names) than the server allows (--max-classes).',
  },
  LIMIT_CONCEPTS: {
    fatal: false,
    close: 1008,
    hint: 'The probe set declares more concepts than the server allows (--max-concepts), or concept masks (maskSize) of more than 2^31 values in all.',
  },
  LIMIT_RUN_BYTES: { fatal: false, close: 1008, hint: "The run reached the server's total byte limit (--max-run-bytes); nothing more is stored for it." },
  LIMIT_CHECKPOINT_BYTES: {
    fatal: false,
    close: 1009,
    hint: 'One checkpoint announces more activation bytes than the server holds at once (--max-checkpoint-bytes); send fewer layers per checkpoint.',
  },
  LIMIT_INFLIGHT_BYTES: {
    fatal: false,
    close: 1013,
    hint: 'The server already holds as many announced checkpoint bytes, over all trainers, as it allows (--max-inflight-bytes); the checkpoint was discarded: resend it after a short wait.',
  },
  SERVER_FULL: {
    fatal: true,
    close: 1013,
    hint: 'The server already serves as many trainers (--max-ingest-connections) or viewers (--max-live-connections) as it allows; reconnect later.',
  },
  HANDSHAKE_TIMEOUT: {
    fatal: true,
    close: 1008,
    hint: 'No hello (on /ingest) or valid message (on /live) arrived within the deadline (--handshake-timeout) after the connection opened.',
  },
  LIMIT_SUBSCRIPTIONS: {
    fatal: false,
    close: 1008,
    hint: 'This /live connection has as many subscriptions as the server allows (--max-live-subscriptions); unsubscribe first.',
  },
  RATE_LIMITED: {
    fatal: false,
    close: 1008,
    hint: 'Too many messages per second on this connection (--max-rate on /ingest, --max-live-rate on /live), or too many /live requests in flight; slow down.',
  },
  RUN_NOT_LIVE: {
    fatal: false,
    close: 1008,
    hint: 'A rank other than 0 attaches only to a run that rank 0 is streaming now; retry until it is (or the run has ended).',
  },
  NOT_OWNER: {
    fatal: false,
    close: 1008,
    hint: 'Only rank 0 of a distributed run sends layers, probe data, checkpoints and freezes; other ranks send scalars (with "reduce") and end.',
  },
  RUN_ENDED: { fatal: false, close: 1008, hint: 'The run already received "end"; resume it with a new hello to append.' },
  DISK_FULL: { fatal: false, close: 1011, hint: 'The server could not store the record (no space left); it was not stored, retry later.' },
  IO_ERROR: { fatal: false, close: 1011, hint: 'The server could not store the record (I/O error); it was not stored, retry later.' },
  SHUTTING_DOWN: { fatal: true, close: 1001, hint: 'The server is shutting down; reconnect and resume the run later.' },
  INTERNAL: { fatal: true, close: 1011, hint: 'The server hit an unexpected error; it has been logged.' },
  BAD_TOPIC: { fatal: false, close: 1008, hint: 'Subscribe to "runs" or "run:<id>" of an existing run.' },
  BAD_REQUEST: { fatal: false, close: 1008, hint: 'The request cannot be answered (unknown run, step or metric).' },
  SLOW_CONSUMER: { fatal: true, close: 1013, hint: 'This viewer fell too far behind; reconnect and resume from the last sequence number.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** An error that crosses a websocket: a stable code plus a message a person can act on. */
export class ProtocolError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = 'ProtocolError';
  }
  get fatal(): boolean {
    return ERROR_CODES[this.code].fatal;
  }
  get closeCode(): number {
    return ERROR_CODES[this.code].close;
  }
}
