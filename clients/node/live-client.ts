/** Node client for /live: subscribes to topics and tracks {epoch, seq} so it can resume; used by tests and benches. */
import WebSocket from 'ws';
import { LiveServerMessage, type LiveServerMessage as Msg } from '../../lib/protocol';

type Snapshot = Extract<Msg, { type: 'snapshot' }>;
type Delta = Extract<Msg, { type: 'delta' }>;

export interface LiveClientOptions {
  url: string;
  /** Validate every message with the zod schemas (tests: on; benches measuring latency: off). */
  validate?: boolean;
  onSnapshot?: (s: Snapshot) => void;
  onDelta?: (d: Delta) => void;
  onMessage?: (m: Msg) => void;
}

/** One /live connection. */
export class LiveClient {
  epoch = '';
  /** Last sequence number seen per topic. */
  readonly seqs = new Map<string, number>();
  private nextRequest = 1;
  private readonly waiting = new Map<number, (m: Extract<Msg, { type: 'response' }>) => void>();

  private constructor(
    readonly ws: WebSocket,
    private readonly opts: LiveClientOptions,
  ) {
    ws.on('message', (data) => this.onMessage(String(data)));
  }

  /** Connects and waits for the server's welcome. */
  static connect(opts: LiveClientOptions): Promise<LiveClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(opts.url, { perMessageDeflate: false });
      const client = new LiveClient(ws, opts);
      ws.once('error', reject);
      const check = (m: Msg) => m.type === 'welcome' && resolve(client);
      client.listeners.push(check);
    });
  }

  private listeners: Array<(m: Msg) => void> = [];

  private onMessage(text: string): void {
    let msg: Msg;
    if (this.opts.validate === false) msg = JSON.parse(text) as Msg;
    else {
      const parsed = LiveServerMessage.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`invalid /live message: ${parsed.error.issues[0]?.message}: ${text.slice(0, 200)}`);
      msg = parsed.data;
    }
    if (msg.type === 'welcome') this.epoch = msg.epoch;
    if (msg.type === 'snapshot') {
      this.epoch = msg.epoch;
      this.seqs.set(msg.topic, msg.seq);
      this.opts.onSnapshot?.(msg);
    }
    if (msg.type === 'delta') {
      this.seqs.set(msg.topic, msg.seq);
      this.opts.onDelta?.(msg);
    }
    if (msg.type === 'response') {
      this.waiting.get(msg.id)?.(msg);
      this.waiting.delete(msg.id);
    }
    this.opts.onMessage?.(msg);
    for (const l of this.listeners) l(msg);
  }

  /** Subscribes; with `resume`, from the last {epoch, seq} this client saw on the topic. */
  subscribe(topic: string, since?: { epoch: string; seq: number }): void {
    this.ws.send(JSON.stringify({ type: 'subscribe', topic, ...(since ? { since } : {}) }));
  }

  /** Sends a request and resolves with its response. */
  request(what: string, run: string, params?: Record<string, string | number | boolean>): Promise<Extract<Msg, { type: 'response' }>> {
    const id = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(JSON.stringify({ type: 'request', id, what, run, ...(params ? { params } : {}) }));
    });
  }

  /** Resolves with the first message matching `pred` (rejects after `timeoutMs`). */
  waitFor<T extends Msg>(pred: (m: Msg) => m is T, timeoutMs?: number): Promise<T>;
  waitFor(pred: (m: Msg) => boolean, timeoutMs?: number): Promise<Msg>;
  waitFor(pred: (m: Msg) => boolean, timeoutMs = 10_000): Promise<Msg> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.listeners = this.listeners.filter((l) => l !== listener);
        reject(new Error('timed out waiting for a /live message'));
      }, timeoutMs);
      const listener = (m: Msg) => {
        if (!pred(m)) return;
        clearTimeout(timer);
        this.listeners = this.listeners.filter((l) => l !== listener);
        resolve(m);
      };
      this.listeners.push(listener);
    });
  }

  close(): void {
    this.ws.close();
  }

  /** Drops the connection without a close handshake. */
  terminate(): void {
    this.ws.terminate();
  }
}
