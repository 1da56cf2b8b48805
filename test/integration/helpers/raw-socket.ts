/** A raw websocket for tests of hostile input: every message it receives, its close, and `next()` to await replies in order. */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
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

/** A websocket upgrade done by hand on a TCP socket, so a test decides what goes into each write (pipelining in one segment). */
export interface TcpWebSocket {
  sock: net.Socket;
  /** Every text message the server sent so far, parsed. */
  messages(): Array<Record<string, unknown>>;
  closed: Promise<void>;
}

/** Opens `url` (ws://host:port/path) with a hand-made upgrade; resolves after the server's 101. */
export async function tcpWebSocket(url: string, headers: Record<string, string> = {}): Promise<TcpWebSocket> {
  const u = new URL(url);
  const sock = net.connect(Number(u.port), u.hostname);
  sock.on('error', () => {});
  let buf = Buffer.alloc(0);
  let upgraded = false;
  const closed = new Promise<void>((r) => sock.once('close', () => r()));
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => {
      const extra = Object.entries(headers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('');
      sock.write(
        `GET ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
      );
    });
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (upgraded) return;
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString();
      buf = buf.subarray(end + 4);
      if (!head.startsWith('HTTP/1.1 101')) return reject(new Error(`upgrade refused: ${head.split('\r\n')[0]}`));
      upgraded = true;
      resolve();
    });
    sock.once('close', () => reject(new Error('closed during the upgrade')));
  });
  return {
    sock,
    closed,
    messages() {
      const out: Array<Record<string, unknown>> = [];
      let i = 0;
      while (i + 2 <= buf.length) {
        const opcode = buf[i] & 0x0f;
        let len = buf[i + 1] & 0x7f;
        let at = i + 2;
        if (len === 126) {
          len = buf.readUInt16BE(at);
          at += 2;
        } else if (len === 127) {
          len = Number(buf.readBigUInt64BE(at));
          at += 8;
        }
        if (at + len > buf.length) break;
        if (opcode === 1) out.push(JSON.parse(buf.subarray(at, at + len).toString('utf8')));
        i = at + len;
      }
      return out;
    },
  };
}

/** One masked client text frame (RFC 6455 §5.2); concatenate several to send them in one write. */
export function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([0x81, 0x80 | len])
      : len < 65536
        ? Buffer.from([0x81, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x81, 0x80 | 127]), bigLength(len)]);
  const body = Buffer.alloc(len);
  for (let i = 0; i < len; i++) body[i] = payload[i] ^ mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

function bigLength(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
