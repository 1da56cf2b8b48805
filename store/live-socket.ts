/**
 * The one browser websocket to /live. Every server message is parsed once here (zod) and dispatched into the store.
 * Resume: per topic the last {epoch, seq}; after a reconnect each topic is re-subscribed with `since`;
 * a snapshot replaces the topic's state; a delta that is not last + 1 means something was missed → resubscribe without `since`.
 */
import { LiveServerMessage, RUNS_CHANGES_TOPIC, topicRunId, type LiveClientMessage } from '@/lib/protocol/live';
import { parseLiveResult, type LiveRequestName, type LiveRequestParams, type LiveRequestResult } from '@/lib/protocol/requests';
import type { LayerwatchStore } from './create-store';

interface TopicState {
  refs: number;
  /** Last position seen; null until a snapshot arrives (deltas before it are dropped). */
  cursor: { epoch: string; seq: number } | null;
}

interface Pending {
  resolve(data: unknown): void;
  reject(err: Error): void;
  timer: ReturnType<typeof setTimeout>;
}

export interface LiveSocketOptions {
  /** Defaults to ws(s)://<this page's host>/live. */
  url?: string;
  /** Ping period; a socket silent for 3 periods is considered dead. */
  pingMs?: number;
}

/** Reconnect delay for a failed attempt: 0.5 s doubling to 10 s, with ±25% jitter so viewers do not return in lockstep. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.75 + 0.5 * random()));
}

/** An error answer to a request, with the server's stable code. */
export class RequestError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class LiveSocket {
  private ws: WebSocket | null = null;
  private readonly topics = new Map<string, TopicState>();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private attempt = 0;
  private running = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private pingTimer: ReturnType<typeof setInterval> | null = null;
  private lastMessageAt = 0;
  private pingSentAt = 0;

  constructor(
    private readonly store: LayerwatchStore,
    private readonly options: LiveSocketOptions = {},
  ) {}

  /** Opens the socket (idempotent); reconnects until `stop`. */
  start(): void {
    if (this.running) return;
    this.running = true;
    window.addEventListener('online', this.reconnectNow);
    this.connect();
    this.pingTimer = setInterval(this.heartbeat, this.options.pingMs ?? 10_000);
  }

  /** Closes the socket and stops reconnecting. */
  stop(): void {
    this.running = false;
    window.removeEventListener('online', this.reconnectNow);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.pingTimer) clearInterval(this.pingTimer);
    this.retryTimer = this.pingTimer = null;
    const ws = this.ws;
    this.ws = null;
    ws?.close(1000, 'bye');
    this.failPending('connection closed');
  }

  /** Subscribes to a topic while the returned function has not been called (reference-counted). */
  subscribe(topic: string): () => void {
    const t = this.topics.get(topic);
    if (t) t.refs++;
    else {
      this.topics.set(topic, { refs: 1, cursor: null });
      this.send({ type: 'subscribe', topic });
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const cur = this.topics.get(topic);
      if (!cur || --cur.refs > 0) return;
      this.topics.delete(topic);
      this.send({ type: 'unsubscribe', topic });
    };
  }

  /**
   * Sends a request and resolves with its answer parsed by the request's result schema; rejects with a RequestError:
   * the server's code, BAD_RESPONSE (an answer that fails its schema), TIMEOUT or DISCONNECTED.
   */
  request<N extends LiveRequestName>(what: N, run: string, params: LiveRequestParams<N>, timeoutMs = 20_000): Promise<LiveRequestResult<N>> {
    const id = this.nextId++;
    const answer = new Promise<unknown>((resolve, reject) => {
      if (!this.isOpen()) return reject(new RequestError('DISCONNECTED', 'not connected to the server'));
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new RequestError('TIMEOUT', `no answer to ${what} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      // The wire's params are a flat object of strings, numbers and booleans; every params schema of the table is one.
      this.send({ type: 'request', id, what, run, params: params as Record<string, string | number | boolean> });
    });
    return answer.then((data) => {
      const parsed = parseLiveResult(what, data);
      if (!parsed.ok) throw new RequestError('BAD_RESPONSE', parsed.message);
      return parsed.data;
    });
  }

  /** Asks for a fresh snapshot of a subscribed topic (a replay returning to the newest state). */
  resync(topic: string): void {
    const t = this.topics.get(topic);
    if (!t) return;
    t.cursor = null;
    this.send({ type: 'subscribe', topic });
  }

  /** Tries to reconnect now instead of waiting for the backoff timer. */
  retryNow(): void {
    this.reconnectNow();
  }

  private readonly reconnectNow = (): void => {
    if (!this.running || this.isOpen()) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.connect();
  };

  private isOpen(): boolean {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  private connect(): void {
    const url = this.options.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/live`;
    const set = this.store.getState().setConnection;
    set({ status: this.attempt === 0 && this.store.getState().connection.downSince === null ? 'connecting' : 'reconnecting', retryAt: null });
    let ws: WebSocket;
    try {
      ws = new WebSocket(url);
    } catch (err) {
      set({ lastError: (err as Error).message });
      return this.scheduleReconnect();
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      this.attempt = 0;
      this.lastMessageAt = Date.now();
      set({ status: 'open', attempt: 0, retryAt: null, downSince: null, lastError: null });
      for (const [topic, t] of this.topics) this.send({ type: 'subscribe', topic, ...(t.cursor ? { since: t.cursor } : {}) });
      // A page without topics yet still says something at once: the server closes sockets silent past its handshake deadline.
      this.heartbeat();
    };
    ws.onmessage = (ev) => {
      if (this.ws !== ws || typeof ev.data !== 'string') return;
      this.lastMessageAt = Date.now();
      this.receive(ev.data);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending('connection lost');
      if (!this.running) return;
      set({ downSince: this.store.getState().connection.downSince ?? Date.now(), lastError: ev.reason || `closed (${ev.code})` });
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    const delay = backoffDelay(this.attempt++);
    this.store.getState().setConnection({ status: 'reconnecting', attempt: this.attempt, retryAt: Date.now() + delay });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.running) this.connect();
    }, delay);
  }

  private readonly heartbeat = (): void => {
    if (!this.isOpen()) return;
    if (Date.now() - this.lastMessageAt > 3 * (this.options.pingMs ?? 10_000)) return void this.ws?.close(4001, 'silent server');
    this.pingSentAt = performance.now();
    this.send({ type: 'ping', id: this.nextId++ });
  };

  private send(msg: LiveClientMessage): void {
    if (this.isOpen()) this.ws!.send(JSON.stringify(msg));
  }

  private failPending(reason: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new RequestError('DISCONNECTED', reason));
      this.pending.delete(id);
    }
  }

  /** The edge: parse once, then everything past here is typed. */
  private receive(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return console.warn('layerwatch: /live sent a message that is not JSON');
    }
    const parsed = LiveServerMessage.safeParse(json);
    if (!parsed.success) return console.warn('layerwatch: /live message failed validation', parsed.error.issues.slice(0, 3));
    this.handle(parsed.data);
  }

  private handle(msg: LiveServerMessage): void {
    const s = this.store.getState();
    const now = Date.now();
    switch (msg.type) {
      case 'welcome':
        return s.setConnection({ epoch: msg.epoch, server: msg.server });
      case 'snapshot': {
        const t = this.topics.get(msg.topic);
        if (!t) return;
        t.cursor = { epoch: msg.epoch, seq: msg.seq };
        if (msg.topic === 'runs') return s.applyRunsSnapshot(msg.runs ?? []);
        if (msg.topic === RUNS_CHANGES_TOPIC) return;
        const runId = topicRunId(msg.topic);
        if (msg.run && runId) {
          s.applyRunSnapshot(runId, msg.run, now);
          s.applyCompareSnapshot(runId, msg.run);
        }
        return;
      }
      case 'delta': {
        const t = this.topics.get(msg.topic);
        if (!t?.cursor || msg.seq <= t.cursor.seq) return; // before the snapshot, or already seen
        if (msg.seq !== t.cursor.seq + 1) {
          t.cursor = null; // a gap: start over from a snapshot
          return this.send({ type: 'subscribe', topic: msg.topic });
        }
        t.cursor.seq = msg.seq;
        if (msg.runs) return msg.topic === RUNS_CHANGES_TOPIC ? s.applyRunsChange(msg.runs) : s.applyRunsDelta(msg.runs);
        const runId = topicRunId(msg.topic);
        if (msg.run && runId) {
          s.applyRunDelta(runId, msg.run, now);
          s.applyCompareDelta(runId, msg.run);
        }
        return;
      }
      case 'response': {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        return msg.ok ? p.resolve(msg.data) : p.reject(new RequestError(msg.code ?? 'BAD_REQUEST', msg.message ?? 'request failed'));
      }
      case 'error': {
        const runId = msg.topic ? topicRunId(msg.topic) : null;
        if (runId) {
          const load = msg.code === 'BAD_TOPIC' ? 'not-found' : 'error';
          s.setRunError(runId, load, msg.message);
          return s.setCompareError(runId, load, msg.message);
        }
        return s.setConnection({ lastError: `${msg.code}: ${msg.message}` });
      }
      case 'pong':
        return s.setConnection({ rttMs: Math.round(performance.now() - this.pingSentAt) });
      default: {
        const _exhaustive: never = msg;
        return _exhaustive;
      }
    }
  }
}
