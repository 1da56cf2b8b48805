/** Where an HTTP request or websocket upgrade goes: host and origin checks, the view-token gate, /api, the two websocket endpoints, the pages. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocketServer } from 'ws';
import { INGEST_PATH, LIVE_PATH } from '../../lib/protocol';
import { handleApi, type ApiContext } from './api';
import { closeUnauthorizedLive, gateHttp, hasViewAccess, hostAllowed, originAllowed, refuseHost } from './auth';
import { refuse, refuseUpgrade } from './reply';

export interface RoutesOptions {
  /** The address the server binds (loopback binds answer only loopback Host names besides `allowedHosts`). */
  bindHost: string;
  allowedHosts: string[];
  allowedOrigins: string[];
  viewToken: string | undefined;
  api: ApiContext;
  ingest: WebSocketServer;
  live: WebSocketServer;
  /** The Next.js pages, when this server serves them. */
  pages: {
    handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
    upgrade: ((req: IncomingMessage, socket: Duplex, head: Buffer) => Promise<void>) | null;
  } | null;
  log: (line: string) => void;
}

export function httpRoutes(o: RoutesOptions) {
  const request = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req, o.bindHost, o.allowedHosts)) return refuseHost(res);
    if (!gateHttp(req, res, url, o.viewToken)) return;
    handleApi(req, res, url, o.api)
      .then((handled) => {
        if (handled) return;
        if (o.pages) return o.pages.handle(req, res);
        refuse(res, 404, 'PAGES_DISABLED', 'pages are disabled on this server');
      })
      .catch((err) => {
        o.log(`http: INTERNAL ${req.method} ${url.pathname}: ${(err as Error)?.stack ?? err}`);
        if (res.headersSent) res.end();
        else refuse(res, 500, 'INTERNAL', 'internal error');
      });
  };

  const upgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const pathname = url.pathname;
    if (!hostAllowed(req, o.bindHost, o.allowedHosts)) return refuseUpgrade(socket, '403 Forbidden', 'HOST_NOT_ALLOWED');
    // Any page the user has open may try ws://127.0.0.1:PORT/…; only this server's own pages (and allowed origins) may.
    if ((pathname === INGEST_PATH || pathname === LIVE_PATH) && !originAllowed(req, o.allowedOrigins))
      return refuseUpgrade(socket, '403 Forbidden', 'CROSS_ORIGIN');
    if (pathname === LIVE_PATH && o.viewToken !== undefined && !hasViewAccess(req, url, o.viewToken, true)) {
      return o.live.handleUpgrade(req, socket, head, closeUnauthorizedLive);
    }
    if (pathname === INGEST_PATH) return o.ingest.handleUpgrade(req, socket, head, (ws) => o.ingest.emit('connection', ws, req));
    if (pathname === LIVE_PATH) return o.live.handleUpgrade(req, socket, head, (ws) => o.live.emit('connection', ws, req));
    if (o.pages?.upgrade) return void o.pages.upgrade(req, socket, head);
    socket.destroy();
  };

  return { request, upgrade };
}
