/** Every answer the HTTP side writes itself: JSON bodies, refusals as `{ error: { code, message } }`, and refused websocket upgrades. */
import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' } as const;

/** Answers with a JSON body; `close` asks the client to drop the connection (a refused upload whose body was not read). */
export function replyJson(res: ServerResponse, status: number, body: unknown, opts: { close?: boolean; headers?: Record<string, string> } = {}): void {
  res.writeHead(status, { ...JSON_HEADERS, ...opts.headers, ...(opts.close ? { connection: 'close' } : {}) });
  res.end(JSON.stringify(body));
}

/** Refuses a request with a stable code and a one-line message. */
export function refuse(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  opts: { close?: boolean; headers?: Record<string, string> } = {},
): void {
  replyJson(res, status, { error: { code, message } }, opts);
}

/** Refuses a websocket upgrade before it happens: an HTTP status and a stable code as the body. */
export function refuseUpgrade(socket: Duplex, status: '403 Forbidden', code: string): void {
  // After 'upgrade' the HTTP server no longer listens for this socket's errors: a client that resets it (ECONNRESET)
  // would otherwise be an unhandled 'error' event, which ends the server process.
  socket.on('error', () => socket.destroy());
  const body = `${code}\n`;
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
}
