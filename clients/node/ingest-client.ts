/** Node client for /ingest: used by the simulator, the tests, the benches and any JavaScript training loop. */
import WebSocket from 'ws';
import {
  IngestServerMessage,
  PROTOCOL_VERSION,
  encodeFrame,
  type AckOf,
  type Hello,
  type LayerDecl,
  type Probe,
  type RunOptions,
  type ScalarReduce,
} from '../../lib/protocol';
import { sketchActivations } from '../../lib/analysis/sketch';

type Welcome = Extract<IngestServerMessage, { type: 'welcome' }>;
type Advice = Extract<IngestServerMessage, { type: 'advice' }>;
type ServerWarning = Extract<IngestServerMessage, { type: 'warning' }>;
type Ack = Extract<IngestServerMessage, { type: 'ack' }>;

export interface IngestClientOptions {
  url: string;
  token?: string;
  run: Hello['run'];
  resume?: boolean;
  options?: RunOptions;
  client?: string;
  onAdvice?: (advice: Advice) => void;
  onWarning?: (warning: ServerWarning) => void;
  /** Errors that answer no message of ours (e.g. after a hostile frame), and fatal errors. */
  onError?: (error: IngestError) => void;
  onClose?: (code: number, reason: string) => void;
  /**
   * Mask frames with the all-zero key, so neither side XORs every payload byte (ws then sends our buffers without
   * copying them, and the server skips unmasking). Masking protects intermediaries from script-chosen bytes in
   * browsers; a trainer is not a browser. Default false: the random key RFC 6455 asks clients for.
   */
  zeroMask?: boolean;
  /**
   * Send each layer wider than K (not spatial maps) as its K-direction sketch (frame kind "sketch", docs/protocol.md):
   * K × examples numbers instead of units × examples. Default: raw frames. As the Python client's `sketch=K`.
   */
  sketch?: number;
}

/** An error reply from the server, with its stable code. */
export class IngestError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly fatal: boolean,
  ) {
    super(`${code}: ${message}`);
    this.name = 'IngestError';
  }
}

const zeroMask = (mask: Buffer) => void mask.fill(0);

/** Parses one server text frame with the protocol's schema: the message, or a BAD_JSON / BAD_MESSAGE error (`fatal` as given). */
function parseServerMessage(text: string, fatal: boolean): IngestServerMessage | IngestError {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return new IngestError('BAD_JSON', 'server sent non-JSON', fatal);
  }
  const parsed = IngestServerMessage.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  return new IngestError('BAD_MESSAGE', `server sent a message this client cannot read (${issue.path.join('.') || 'message'}: ${issue.message})`, fatal);
}

interface Pending {
  of: AckOf;
  resolve: (ack: Ack) => void;
  reject: (err: Error) => void;
}

/** One trainer connection to /ingest carrying one run. */
export class IngestClient {
  private readonly pending: Pending[] = [];
  private closed = false;
  /** Layers declared as sketches, with their K. */
  private readonly sketched = new Map<string, number>();

  private constructor(
    private readonly ws: WebSocket,
    readonly welcome: Welcome,
    private readonly opts: IngestClientOptions,
  ) {
    ws.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    ws.on('close', (code, reason) => {
      this.closed = true;
      const err = new IngestError('CONNECTION_CLOSED', `connection closed (${code}${reason.length ? `: ${reason}` : ''})`, true);
      for (const p of this.pending.splice(0)) p.reject(err);
      opts.onClose?.(code, reason.toString());
    });
  }

  /** Opens the connection, sends the hello and waits for the welcome (or the refusal). */
  static connect(opts: IngestClientOptions): Promise<IngestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024, ...(opts.zeroMask ? { generateMask: zeroMask } : {}) });
      let settled = false;
      const fail = (err: Error) => {
        if (settled) return;
        settled = true;
        ws.on('error', () => {});
        ws.terminate();
        reject(err);
      };
      ws.once('error', fail);
      // A refused upgrade (503 when full, 403 HOST_NOT_ALLOWED / CROSS_ORIGIN) is a one-line error with a code, not ws's bare Error.
      ws.once('unexpected-response', (_req, res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body = (body + d).slice(0, 200)));
        res.on('end', () =>
          fail(new IngestError('UPGRADE_REFUSED', `the server refused the websocket (HTTP ${status}${body.trim() ? ` ${body.trim()}` : ''})`, true)),
        );
        res.on('error', () => fail(new IngestError('UPGRADE_REFUSED', `the server refused the websocket (HTTP ${status})`, true)));
      });
      ws.once('close', (code, reason) => fail(new IngestError('CONNECTION_CLOSED', `closed before welcome (${code} ${reason})`, true)));
      ws.once('open', () => {
        const hello: Hello = {
          type: 'hello',
          protocol: PROTOCOL_VERSION,
          client: opts.client ?? 'layerwatch-node/0.1.0',
          run: opts.run,
          ...(opts.token !== undefined ? { token: opts.token } : {}),
          ...(opts.resume ? { resume: true } : {}),
          ...(opts.options ? { options: opts.options } : {}),
        };
        ws.send(JSON.stringify(hello));
      });
      ws.once('message', (data) => {
        const msg = parseServerMessage(String(data), true);
        if (msg instanceof IngestError) return fail(msg);
        if (msg.type === 'welcome') {
          settled = true;
          ws.removeAllListeners('error').removeAllListeners('close');
          ws.on('error', () => {});
          resolve(new IngestClient(ws, msg, opts));
        } else if (msg.type === 'error') {
          fail(new IngestError(msg.code, msg.message, msg.fatal));
        } else {
          fail(new IngestError('BAD_MESSAGE', `expected welcome, got ${msg.type}`, true));
        }
      });
    });
  }

  get runId(): string {
    return this.welcome.runId;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Declares the layers (input side first) and the probe set; resolves when both are acknowledged. */
  async declare(layers: LayerDecl[] | Array<Omit<LayerDecl, 'kind'> & Partial<Pick<LayerDecl, 'kind'>>>, probe: Omit<Probe, 'type'>): Promise<void> {
    const K = this.opts.sketch;
    const decls = layers.map((l) => (K && !l.spatial && l.sketch === undefined && l.units > K ? { ...l, sketch: K } : l));
    for (const l of decls) if (l.sketch) this.sketched.set(l.name, l.sketch);
    await Promise.all([this.request('layers', { type: 'layers', layers: decls }), this.request('probe', { type: 'probe', ...probe })]);
  }

  /**
   * Sends one checkpoint (a units × examples matrix per layer) and resolves with its ack. A layer declared as sketches
   * is sent as its sketch; one that is constant over the probe set has none and goes raw (the checkpoint's "raw").
   */
  async checkpoint(step: number, layers: Array<{ layer: string; data: Float32Array; shape: number[] }>, time?: number): Promise<Ack> {
    const raw: string[] = [];
    const frames = layers.map((l) => {
      const K = this.sketched.get(l.layer);
      const s = K ? sketchActivations({ data: l.data, units: l.shape[0], examples: l.shape[1] }, K) : null;
      if (!s || s.singular.length === 0) {
        if (s) raw.push(l.layer);
        return encodeFrame({ run: this.runId, step, layer: l.layer, shape: l.shape }, l.data);
      }
      const basis = s.basis instanceof Float32Array ? s.basis : Float32Array.from(s.basis);
      return encodeFrame(
        {
          run: this.runId,
          step,
          layer: l.layer,
          shape: [s.singular.length, l.shape[1]],
          kind: 'sketch',
          sketch: { singular: Array.from(s.singular), total: s.total },
        },
        basis,
      );
    });
    return this.sendCheckpointFrames(
      step,
      layers.map((l) => l.layer),
      frames,
      time,
      raw,
    );
  }

  /**
   * Sends per-example concept masks (values 0/1, [examples, concepts, h, w] at probe.maskSize) in chunks of
   * `chunkExamples` examples, after the probe and before the first checkpoint; resolves when every chunk is acknowledged.
   */
  sendMasks(masks: Float32Array, shape: [number, number, number, number], chunkExamples = shape[0]): Promise<void> {
    return this.sendProbeChunks('masks', masks, shape, chunkExamples);
  }

  /**
   * Sends the probe images (values in [0, 1], [examples, h, w, channels] at probe.imageSize) in chunks of
   * `chunkExamples` examples, after the probe; resolves when every chunk is acknowledged.
   */
  sendImages(images: Float32Array, shape: [number, number, number, number], chunkExamples = shape[0]): Promise<void> {
    return this.sendProbeChunks('images', images, shape, chunkExamples);
  }

  /**
   * Sends a checkpoint's Grad-CAM maps (docs/protocol.md, *Grad-CAM*): `maps` is [examples.length, targets, h, w]
   * (non-negative), `classes` the class of each map (examples × targets, row-major), from the conv layer `source`.
   * Send it after the checkpoint of `step`; resolves with its ack.
   */
  sendGradcam(step: number, source: string, examples: number[], classes: number[], maps: Float32Array, shape: [number, number, number, number]): Promise<Ack> {
    const frame = encodeFrame({ run: this.runId, step, layer: `__gradcam__:${source}`, shape, kind: 'gradcam', examples, classes }, maps);
    const reply = this.expect('gradcam');
    this.ws.send(frame, { binary: true });
    return reply;
  }

  /** Per-example probe data as frames of `kind`, layer `__<kind>__[@first]`, each chunk acknowledged. */
  private async sendProbeChunks(kind: 'masks' | 'images', values: Float32Array, shape: [number, number, number, number], chunkExamples: number): Promise<void> {
    const [m, ...dims] = shape;
    const per = dims[0] * dims[1] * dims[2];
    const acks: Array<Promise<Ack>> = [];
    for (let first = 0; first < m; first += chunkExamples) {
      const count = Math.min(chunkExamples, m - first);
      const frame = encodeFrame(
        { run: this.runId, step: 0, layer: first === 0 ? `__${kind}__` : `__${kind}__@${first}`, shape: [count, ...dims], kind },
        values.subarray(first * per, (first + count) * per),
      );
      acks.push(this.expect(kind));
      this.ws.send(frame, { binary: true });
    }
    await Promise.all(acks);
  }

  /** Sends a checkpoint from pre-encoded frames (benches reuse encoded frames). */
  sendCheckpointFrames(step: number, layerNames: string[], frames: Uint8Array[], time?: number, raw: string[] = []): Promise<Ack> {
    const header = { type: 'checkpoint', step, layers: layerNames, ...(time !== undefined ? { time } : {}), ...(raw.length ? { raw } : {}) };
    const reply = this.expect('checkpoint');
    this.ws.send(JSON.stringify(header));
    for (const f of frames) this.ws.send(f, { binary: true });
    return reply;
  }

  /** Logs scalars at a step; resolves when acknowledged. `reduce`: how a distributed run combines them across ranks (lib/protocol/ranks.ts). */
  log(step: number, values: Record<string, number | null>, time?: number, reduce?: ScalarReduce): Promise<Ack> {
    return this.request('scalars', { type: 'scalars', step, values, ...(time !== undefined ? { time } : {}), ...(reduce ? { reduce } : {}) });
  }

  /** Confirms that the trainer froze `layer` at its step `step` (the views then say "frozen", not "advised"); resolves with the ack. */
  reportFrozen(layer: string, step: number): Promise<Ack> {
    return this.request('frozen', { type: 'frozen', layer, step });
  }

  /** Ends the run (finished or failed) and waits for the ack. */
  async end(status: 'finished' | 'failed' = 'finished'): Promise<void> {
    await this.request('end', { type: 'end', status });
  }

  /** Closes the connection (without `end`, the run is left interrupted). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close(1000);
    });
  }

  /** Drops the TCP connection abruptly, as a crashed trainer would. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Bytes queued in the socket but not yet sent. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  /** Sends raw data (tests of malformed input use this). */
  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data, { binary: typeof data !== 'string' });
  }

  private request(of: AckOf, msg: object): Promise<Ack> {
    const reply = this.expect(of);
    this.ws.send(JSON.stringify(msg));
    return reply;
  }

  private expect(of: AckOf): Promise<Ack> {
    if (this.closed) return Promise.reject(new IngestError('CONNECTION_CLOSED', 'connection is closed', true));
    return new Promise((resolve, reject) => this.pending.push({ of, resolve, reject }));
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (isBinary) return;
    const msg = parseServerMessage(data.toString('utf8'), false);
    // A message this client cannot read answers nothing of ours: it is reported, the pending replies keep waiting.
    if (msg instanceof IngestError) return this.opts.onError?.(msg);
    switch (msg.type) {
      case 'ack': {
        const p = this.pending.shift();
        p?.resolve(msg);
        return;
      }
      case 'error': {
        const err = new IngestError(msg.code, msg.message, msg.fatal);
        if (msg.of) this.pending.shift()?.reject(err);
        else this.opts.onError?.(err);
        if (msg.fatal) this.opts.onError?.(err);
        return;
      }
      case 'advice':
        this.opts.onAdvice?.(msg);
        return;
      case 'warning':
        this.opts.onWarning?.(msg);
        return;
      case 'welcome':
      case 'pong':
        return;
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }
}
