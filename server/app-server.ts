/** One HTTP server for the Next.js pages, the JSON API and both websocket endpoints (/ingest, /live). */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { kernelInfo } from '../lib/analysis';
import { DEFAULT_METRIC, INGEST_PATH, LIVE_PATH, MetricName, ProtocolError, type IngestLimits } from '../lib/protocol';
import { AnalysisManager } from './analysis/manager';
import { AnalysisPool } from './analysis/pool';
import { Broadcaster } from './broadcaster';
import { IngestConnection } from './collector';
import { startHeartbeat } from './heartbeat';
import { handleApi } from './http-api';
import { DEFAULT_LIMITS } from './limits';
import { handleLiveConnection, type RequestHandler } from './live-endpoint';
import { RunRegistry } from './run-registry';
import { PROJECT_ROOT } from './project-root';

export const SERVER_NAME = 'layerwatch/0.1.0';

export interface ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  /** Serve the Next.js pages (off for API/websocket-only tests). */
  pages: boolean;
  dev?: boolean;
  token?: string;
  limits?: Partial<IngestLimits>;
  heartbeatMs?: number;
  /** Analysis worker threads (default: cores − 1, at least 1). */
  workers?: number;
  liveMetrics?: MetricName[];
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  registry: RunRegistry;
  broadcaster: Broadcaster;
  analysis: AnalysisManager;
  requests: Map<string, RequestHandler>;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const registry = await RunRegistry.open(opts.dataDir);
  const epoch = randomBytes(6).toString('hex');
  const kernel = kernelInfo().name;
  const pool = new AnalysisPool(opts.workers);
  const analysis = new AnalysisManager({
    registry,
    pool,
    liveMetrics: opts.liveMetrics ?? ['svcca-k', 'cka'],
    publish: (runId, patch) => broadcaster.publish(`run:${runId}`, { run: { kind: 'convergence', patch } }),
  });
  registry.onEnded((id) => void analysis.runEnded(id));
  const broadcaster = new Broadcaster({
    epoch,
    prepare: async (topic) => {
      if (topic === 'runs') return true;
      const state = await registry.load(topic.slice(4));
      if (!state) return false;
      await analysis.load(state);
      return true;
    },
    snapshot: (topic) => {
      if (topic === 'runs') return { runs: registry.list() };
      const id = topic.slice(4);
      const convergence = analysis.snapshot(id);
      return { run: registry.peek(id)!.snapshot(convergence ? { convergence } : undefined) };
    },
  });
  registry.publish = (topic, payload) => broadcaster.publish(topic, payload);
  const requests = new Map<string, RequestHandler>();
  requests.set('layer-matrix', async (req) => {
    const state = await registry.load(req.run);
    if (!state) throw new ProtocolError('BAD_REQUEST', `no run "${req.run.slice(0, 64)}"`);
    const metric = MetricName.safeParse(req.params?.metric ?? DEFAULT_METRIC);
    const step = Number(req.params?.step ?? state.lastStep);
    if (!metric.success || !Number.isFinite(step)) throw new ProtocolError('BAD_REQUEST', 'layer-matrix needs params {step: number, metric: svcca|svcca-k|pwcca|cka}');
    return analysis.layerMatrix(state, step, metric.data);
  });

  let nextHandler: ((req: import('http').IncomingMessage, res: import('http').ServerResponse) => Promise<void>) | null = null;
  let nextUpgrade: ((req: import('http').IncomingMessage, socket: import('stream').Duplex, head: Buffer) => Promise<void>) | null = null;
  let nextApp: { close?: () => Promise<void> } | null = null;
  if (opts.pages) {
    const { default: next } = await import('next');
    const app = next({ dev: opts.dev ?? false, dir: PROJECT_ROOT, hostname: opts.host, port: opts.port, quiet: true });
    await app.prepare();
    nextHandler = app.getRequestHandler();
    nextUpgrade = opts.dev ? app.getUpgradeHandler() : null;
    nextApp = app as unknown as { close?: () => Promise<void> };
  }

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    handleApi(req, res, url, { registry, epoch, kernel })
      .then((handled) => {
        if (handled) return;
        if (nextHandler) return nextHandler(req, res);
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('pages are disabled on this server\n');
      })
      .catch((err) => {
        log(`http: ${(err as Error)?.stack ?? err}`);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'internal error' } }));
      });
  });

  const ingest = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  const live = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
  ingest.on('connection', (ws) => new IngestConnection(ws, { registry, limits, token: opts.token, serverName: SERVER_NAME, log }));
  live.on('connection', (ws) => handleLiveConnection(ws, { broadcaster, serverName: SERVER_NAME, kernel, requests, log }));
  const stopHeartbeat = startHeartbeat([ingest, live], opts.heartbeatMs ?? 15_000);

  server.on('upgrade', (req, socket, head) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (pathname === INGEST_PATH) return ingest.handleUpgrade(req, socket, head, (ws) => ingest.emit('connection', ws, req));
    if (pathname === LIVE_PATH) return live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
    if (nextUpgrade) return void nextUpgrade(req, socket, head);
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      stopHeartbeat();
      for (const ws of ingest.clients) ws.close(1001, 'SHUTTING_DOWN');
      for (const ws of live.clients) ws.close(1001, 'SHUTTING_DOWN');
      await registry.close();
      await analysis.close();
      broadcaster.close();
      for (const ws of [...ingest.clients, ...live.clients]) ws.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections?.();
      await nextApp?.close?.().catch(() => {});
    })());

  return { url: `http://${host}:${port}`, port, registry, broadcaster, analysis, requests, close };
}
