/** /live: browsers subscribe to topics and receive snapshots and numbered deltas through the broadcaster. */
import type WebSocket from 'ws';
import {
  ERROR_CODES,
  PROTOCOL_VERSION,
  ProtocolError,
  parseLiveMessage,
  parseLiveRequest,
  type LiveRequestAnswer,
  type LiveRequestArgs,
  type LiveRequestName,
  type LiveServerMessage,
} from '../../lib/protocol';
import type { Broadcaster, Viewer } from './broadcaster';
import { DEFAULT_CONNECTION_LIMITS, RateLimiter, type Budget, type ConnectionLimits } from '../http/limits';

/** Answers one request kind: params parsed with its schema, the answer typed by its result schema (lib/protocol/requests.ts). */
export type LiveRequestHandler<N extends LiveRequestName> = (req: { run: string; params: LiveRequestArgs<N> }) => Promise<LiveRequestAnswer<N>>;
/** One handler per request of the table: a request without a handler does not build. */
export type LiveRequestHandlers = { [N in LiveRequestName]: LiveRequestHandler<N> };

/** Calls the handler of `req.what`. */
function answer<N extends LiveRequestName>(
  handlers: LiveRequestHandlers,
  req: { what: N; run: string; params: LiveRequestArgs<N> },
): Promise<LiveRequestAnswer<N>> {
  return handlers[req.what](req);
}

export interface LiveOptions {
  broadcaster: Broadcaster;
  serverName: string;
  kernel: string;
  /** Answers `request` messages by their `what`. */
  requests: LiveRequestHandlers;
  log?: (line: string) => void;
  /** Per-connection bounds (server/http/limits.ts); defaults when omitted. */
  limits?: Pick<ConnectionLimits, 'maxLiveSubscriptions' | 'maxLiveRate' | 'maxLiveInFlight'>;
  /** Viewer slots (--max-live-connections), taken by the first valid message: silent sockets hold none. */
  viewers?: Budget;
  /** Milliseconds to wait for the first valid message before closing with HANDSHAKE_TIMEOUT (none when omitted). */
  handshakeTimeoutMs?: number;
}

let nextViewerId = 1;

/** Wires one browser connection to the broadcaster. */
export function handleLiveConnection(ws: WebSocket, opts: LiveOptions): void {
  const viewer: Viewer = {
    id: nextViewerId++,
    send: (text) => {
      // A Buffer is the message's UTF-8 text, shared by every viewer: it must still go out as a text frame.
      if (ws.readyState === ws.OPEN) ws.send(text, { binary: false });
    },
    bufferedAmount: () => ws.bufferedAmount,
    close: (code, reason) => ws.close(code, reason),
  };
  const send = (msg: LiveServerMessage) => viewer.send(JSON.stringify(msg));
  send({ type: 'welcome', protocol: PROTOCOL_VERSION, epoch: opts.broadcaster.epoch, server: opts.serverName, kernel: opts.kernel });

  const limits = opts.limits ?? DEFAULT_CONNECTION_LIMITS;
  const rate = new RateLimiter(limits.maxLiveRate);
  const topics = new Set<string>();
  let inFlight = 0;
  const fatal = (code: 'HANDSHAKE_TIMEOUT' | 'SERVER_FULL', message: string) => {
    send({ type: 'error', code, message, fatal: true });
    ws.close(ERROR_CODES[code].close, code);
  };
  // A socket that only answers pings (the library does that) would otherwise hold a descriptor forever.
  let established = false;
  let holdsSlot = false;
  const deadline = opts.handshakeTimeoutMs
    ? setTimeout(
        () => established || fatal('HANDSHAKE_TIMEOUT', `no message within ${opts.handshakeTimeoutMs} ms of connecting`),
        opts.handshakeTimeoutMs,
      ).unref()
    : null;
  /** Takes a viewer slot at the first valid message (a page sends a ping as it connects); false, and the connection closed, when none is free. */
  const establish = (): boolean => {
    if (established) return true;
    if (ws.readyState !== ws.OPEN) return false;
    if (opts.viewers && !opts.viewers.take()) {
      fatal('SERVER_FULL', `the server already serves ${opts.viewers.max} viewers (--max-live-connections); reconnect later`);
      return false;
    }
    established = true;
    holdsSlot = opts.viewers !== undefined;
    if (deadline) clearTimeout(deadline);
    return true;
  };
  ws.on('message', (data: Buffer, isBinary) => {
    void (async () => {
      try {
        if (!rate.take()) {
          // A flooding peer that does not read gets no answers either, so nothing queues up for it.
          if (ws.bufferedAmount > 1024 * 1024) return;
          const message = `more than ${limits.maxLiveRate} messages per second; this one was dropped`;
          // A dropped request is still answered under its id, so the client is not left waiting for it.
          const id = requestId(data, isBinary);
          if (id !== null) return send({ type: 'response', id, ok: false, code: 'RATE_LIMITED', message });
          throw new ProtocolError('RATE_LIMITED', message);
        }
        if (isBinary) throw new ProtocolError('BAD_MESSAGE', '/live takes JSON text frames only');
        const msg = parseLiveMessage(data.toString('utf8'));
        if (!establish()) return;
        switch (msg.type) {
          case 'subscribe': {
            if (!topics.has(msg.topic) && topics.size >= limits.maxLiveSubscriptions) {
              return send({
                type: 'error',
                code: 'LIMIT_SUBSCRIPTIONS',
                message: `this connection already has ${topics.size} subscriptions (the limit); unsubscribe first`,
                fatal: false,
                topic: msg.topic,
              });
            }
            topics.add(msg.topic);
            const ok = await opts.broadcaster.subscribe(viewer, msg.topic, msg.since);
            if (!ok) topics.delete(msg.topic);
            if (!ok) send({ type: 'error', code: 'BAD_TOPIC', message: `no such topic "${msg.topic}"`, fatal: false, topic: msg.topic });
            return;
          }
          case 'unsubscribe':
            topics.delete(msg.topic);
            return opts.broadcaster.unsubscribe(viewer, msg.topic);
          case 'ping':
            return send({ type: 'pong', ...(msg.id !== undefined ? { id: msg.id } : {}) });
          case 'request': {
            // An unknown `what` or params that fail their schema are BAD_REQUEST, answered under the id by the catch below.
            const req = parseLiveRequest(msg.what, msg.run, msg.params);
            if (inFlight >= limits.maxLiveInFlight) {
              return send({
                type: 'response',
                id: msg.id,
                ok: false,
                code: 'RATE_LIMITED',
                message: `${inFlight} requests are already in flight on this connection; wait for their answers`,
              });
            }
            // Answers bypass the broadcaster's per-viewer bound: a client that asks without reading is dropped instead.
            if (ws.bufferedAmount > opts.broadcaster.highWaterBytes) {
              ws.close(ERROR_CODES.SLOW_CONSUMER.close, 'SLOW_CONSUMER');
              return;
            }
            inFlight++;
            try {
              send({ type: 'response', id: msg.id, ok: true, data: await answer(opts.requests, req) });
            } catch (err) {
              const e = err as { code?: string; message?: string };
              send({ type: 'response', id: msg.id, ok: false, code: e.code ?? 'BAD_REQUEST', message: e.message ?? String(err) });
            } finally {
              inFlight--;
            }
            return;
          }
          default: {
            const _exhaustive: never = msg;
            return _exhaustive;
          }
        }
      } catch (err) {
        if (err instanceof ProtocolError) {
          // A request that fails validation (a run id of 65 characters, say) is still answered under its id.
          const id = err.code === 'RATE_LIMITED' ? null : requestId(data, isBinary, Infinity);
          if (id !== null) return send({ type: 'response', id, ok: false, code: 'BAD_REQUEST', message: err.message });
          send({ type: 'error', code: err.code, message: err.message, fatal: ERROR_CODES[err.code].fatal });
          if (err.fatal) ws.close(err.closeCode, err.code);
          return;
        }
        opts.log?.(`live: internal error: ${(err as Error)?.stack ?? err}`);
        send({ type: 'error', code: 'INTERNAL', message: 'internal error', fatal: false });
      }
    })();
  });
  ws.on('close', () => {
    if (deadline) clearTimeout(deadline);
    if (holdsSlot) opts.viewers?.give();
    holdsSlot = false;
    opts.broadcaster.removeViewer(viewer);
  });
  ws.on('error', () => {});
}

/** The id of a `request` message, read without full validation (for answering one that is dropped or invalid), or null. */
function requestId(data: Buffer, isBinary: boolean, maxBytes = 4096): number | null {
  if (isBinary || data.length > maxBytes) return null;
  try {
    const msg = JSON.parse(data.toString('utf8')) as { type?: unknown; id?: unknown };
    return msg.type === 'request' && Number.isInteger(msg.id) ? (msg.id as number) : null;
  } catch {
    return null;
  }
}
