/** A raw websocket for tests of hostile input: every message it receives, its close, and `next()` to await replies in order. */
import WebSocket from 'ws';
import { until } from './server';

export interface RawSocket {
  ws: WebSocket;
  msgs: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  isClosed(): boolean;
  /** The next message not yet returned by next(). */
  next(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Waits for (and returns) the first received message matching `pred`. */
  waitFor(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

/** Opens a websocket (resolves on open, or on close if the server refuses the upgrade). */
export async function rawSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<RawSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  const msgs: Array<Record<string, unknown>> = [];
  let read = 0;
  let isClosed = false;
  ws.on('message', (d, binary) => {
    if (binary) return;
    try {
      msgs.push(JSON.parse(String(d)));
    } catch {
      msgs.push({ unparsable: String(d).slice(0, 200) });
    }
  });
  ws.on('error', () => {});
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.on('close', (code, reason) => {
      isClosed = true;
      r({ code, reason: String(reason) });
    }),
  );
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: HTTP ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
  return {
    ws,
    msgs,
    closed,
    isClosed: () => isClosed,
    async next(timeoutMs = 5000) {
      await until(() => msgs.length > read, timeoutMs, 'a reply');
      return msgs[read++];
    },
    async waitFor(pred, timeoutMs = 5000) {
      let found: Record<string, unknown> | undefined;
      await until(() => (found = msgs.find(pred)) !== undefined, timeoutMs, 'a matching message');
      return found!;
    },
  };
}
