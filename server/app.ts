/** One HTTP server for the Next.js pages, the JSON API and both websocket endpoints (/ingest, /live). */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { kernelInfo } from '../lib/analysis';
import { DEFAULT_METRIC, INGEST_PATH, LIVE_PATH, RUNS_CHANGES_TOPIC, type IngestLimits, type MetricName } from '../lib/protocol';
import { RunSummaries } from './runs/summaries';
import { settleSteps } from '../lib/chart/convergence-summary';
import { AnalysisManager } from './analysis/manager';
import { AnalysisPool } from './analysis/pool';
import { Broadcaster } from './live/broadcaster';
import { IngestConnection } from './ingest/connection';
import type { StoreDtype } from './storage/float16-store';
import { startHeartbeat } from './http/heartbeat';
import { handleApi } from './http/api';
import { Budget, DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from './http/limits';
import { exposureProblem, gateHttp, hasViewAccess, hostAllowed, hostHeaderName, originAllowed, refuseHost, refuseUpgrade } from './http/auth';
import { handleLiveConnection, type LiveRequestHandlers } from './live/endpoint';
import { RunRegistry } from './runs/registry';
import type { LogCheckLimits } from './runs/log-content-check';
import { analysisRequests } from './live/analysis-requests';
import { PROJECT_ROOT } from './project-root';
import { createStatsSource, statsEnabled } from './http/stats';
import { seriesRequest } from './live/series-request';

// The server runs many small decompositions in worker threads: OpenBLAS's own threads only add overhead there
// (measured: 4× slower on tiny layers). Set before the native kernel is first loaded; a user's setting wins.
process.env.OPENBLAS_NUM_THREADS ??= '1';

export const SERVER_NAME = 'layerwatch/0.1.0';

export interface ServerOptions {
  host: string;
  port: number;
  dataDir: string;
  /** Serve the Next.js pages (off for API/websocket-only tests). */
  pages: boolean;
  dev?: boolean;
  token?: string;
  /** Guards the pages, /api and /live (see server/http/auth.ts). */
  viewToken?: string;
  /** Allow a non-loopback host without both tokens. */
  insecure?: boolean;
  /** Host names (besides loopback ones) that requests may be addressed to; "*" allows any (see hostAllowed). */
  allowedHosts?: string[];
  /** Web origins (besides the server's own) whose pages may open /ingest and /live; "*" allows any (see originAllowed). */
  allowedOrigins?: string[];
  limits?: Partial<IngestLimits>;
  connectionLimits?: Partial<ConnectionLimits>;
  heartbeatMs?: number;
  /** Analysis worker threads (default: cores − 1, at least 1). */
  workers?: number;
  liveMetrics?: MetricName[];
  /** How raw activations are stored for runs whose hello does not say (docs/storage.md). */
  storeDtype?: StoreDtype;
  log?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  registry: RunRegistry;
  broadcaster: Broadcaster;
  analysis: AnalysisManager;
  requests: LiveRequestHandlers;
  /** The analysis kernel in use, e.g. "native-openblas" or "js (wasm-simd)". */
  kernel: string;
  close(): Promise<void>;
}

/** Starts the server; resolves once it listens. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const limits: IngestLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const conn: ConnectionLimits = { ...DEFAULT_CONNECTION_LIMITS, ...opts.connectionLimits };
  // What a stored or imported log is held to: the same limits as a trainer streaming it now.
  const logLimits: LogCheckLimits = { ...limits, maxTextBytes: conn.maxTextBytes, maxCheckpointBytes: conn.maxCheckpointBytes };
  const exposure = exposureProblem(opts.host, opts.token, opts.viewToken, opts.insecure ?? false);
  if (exposure) throw Object.assign(new Error(exposure), { code: 'INSECURE_BIND' });
  const registry = await RunRegistry.open(opts.dataDir, logLimits);
  const epoch = randomBytes(6).toString('hex');
  const info = kernelInfo();
  const kernel = info.name === 'js' && info.engine ? `js (${info.engine})` : info.name;
  const pool = new AnalysisPool(opts.workers);
  const analysis = new AnalysisManager({
    registry,
    pool,
    liveMetrics: opts.liveMetrics ?? ['svcca-k', 'cka'],
    publish: (runId, patch) => broadcaster.publish(`run:${runId}`, { run: { kind: 'convergence', patch } }),
    publishProgress: (runId, progress) => broadcaster.publish(`run:${runId}`, { run: { kind: 'analysis-progress', progress } }),
    publishBacklog: (runId, backlog) => broadcaster.publish(`run:${runId}`, { run: { kind: 'analysis-backlog', backlog } }),
    analysed: (runId) => noteSettle(runId),
  });
  // The overview's settle columns: each layer's settle step in the default metric's grid, once a run's analysis is complete.
  const noteSettle = (id: string) => {
    const grid = analysis.snapshot(id)?.grids[DEFAULT_METRIC];
    if (grid && !grid.pending && !analysis.progress(id) && !registry.getLive(id)) registry.noteSettle(id, settleSteps(grid));
  };
  registry.onEnded((id) => void analysis.runEnded(id));
  const prepared = new Map<string, NonNullable<ReturnType<RunRegistry['peek']>>>();
  const broadcaster = new Broadcaster({
    epoch,
    prepare: async (topic) => {
      if (topic === 'runs' || topic === RUNS_CHANGES_TOPIC) return true;
      const state = await registry.load(topic.slice(4));
      if (!state) return false;
      await analysis.load(state);
      noteSettle(state.meta.id);
      // Held until the snapshot: with many runs subscribed at once the registry's cache may evict it meanwhile.
      prepared.delete(topic);
      prepared.set(topic, state);
      if (prepared.size > 64) prepared.delete(prepared.keys().next().value!);
      return true;
    },
    snapshot: (topic) => {
      if (topic === 'runs') return { runs: registry.list() };
      if (topic === RUNS_CHANGES_TOPIC) return { runs: [] };
      const id = topic.slice(4);
      const convergence = analysis.snapshot(id);
      const concepts = analysis.concepts.snapshot(id);
      const progress = analysis.progress(id);
      const backlog = analysis.backlog(id);
      const parts = { ...(convergence ? { convergence } : {}), ...(concepts ? { concepts } : {}), ...(progress ? { progress } : {}), ...(backlog ? { backlog } : {}) };
      return { run: (registry.peek(id) ?? prepared.get(topic)!).snapshot(Object.keys(parts).length ? parts : undefined) };
    },
  });
  // The overview's summary index: built on first use from the run index (no log is read), then kept current.
  let summaries: RunSummaries | null = null;
  const getSummaries = () => (summaries ??= new RunSummaries(registry.list()));
  registry.publish = (topic, payload) => {
    broadcaster.publish(topic, payload);
    if (!('runs' in payload)) return;
    summaries?.apply(payload.runs);
    // The overview listens here: it refetches its page instead of holding every run.
    broadcaster.publish(RUNS_CHANGES_TOPIC, payload);
  };
  const requests: LiveRequestHandlers = { series: seriesRequest(registry), ...analysisRequests(registry, analysis) };

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

  const allowedOrigins = opts.allowedOrigins ?? [];
  const allowedHosts = (opts.allowedHosts ?? []).map((h) => h.trim()).filter((h) => h.length > 0).map((h) => (h === '*' ? h : (hostHeaderName(h) ?? h)));
  const stats = statsEnabled() ? createStatsSource({ broadcaster, analysisQueued: () => pool.queued }) : null;
  // Against slowloris: Node checks these timeouts every connectionsCheckingInterval, so check often.
  const server: Server = createServer({ connectionsCheckingInterval: 1000, requestTimeout: conn.requestTimeoutMs, headersTimeout: Math.min(conn.headersTimeoutMs, conn.requestTimeoutMs) }, (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (!hostAllowed(req, opts.host, allowedHosts)) return refuseHost(res);
    if (!gateHttp(req, res, url, opts.viewToken)) return;
    handleApi(req, res, url, { registry, summaries: getSummaries, epoch, kernel, logLimits, ...(stats ? { stats: stats.read } : {}) })
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
  const live = new WebSocketServer({ noServer: true, maxPayload: conn.maxLiveMessageBytes, perMessageDeflate: false });
  // Slots are taken after the handshake (an authenticated hello on /ingest, a first valid message on /live), so idle sockets hold none.
  const trainers = new Budget(conn.maxIngestConnections);
  const viewers = new Budget(conn.maxLiveConnections);
  const inflight = new Budget(conn.maxInflightBytes);
  const handshakeTimeoutMs = conn.handshakeTimeoutMs;
  ingest.on('connection', (ws) => new IngestConnection(ws, { registry, limits, token: opts.token, serverName: SERVER_NAME, log, connectionLimits: conn, trainers, inflight, handshakeTimeoutMs, storeDtype: opts.storeDtype }));
  live.on('connection', (ws) => handleLiveConnection(ws, { broadcaster, serverName: SERVER_NAME, kernel, requests, log, limits: conn, viewers, handshakeTimeoutMs }));
  const stopHeartbeat = startHeartbeat([ingest, live], opts.heartbeatMs ?? 15_000);

  server.on('upgrade', (req, socket, head) => {
    const upgradeUrl = new URL(req.url ?? '/', 'http://localhost');
    const pathname = upgradeUrl.pathname;
    if (!hostAllowed(req, opts.host, allowedHosts)) return refuseUpgrade(socket, '403 Forbidden', 'HOST_NOT_ALLOWED');
    // Any page the user has open may try ws://127.0.0.1:PORT/…; only this server's own pages (and allowed origins) may.
    if ((pathname === INGEST_PATH || pathname === LIVE_PATH) && !originAllowed(req, allowedOrigins)) return refuseUpgrade(socket, '403 Forbidden', 'CROSS_ORIGIN');
    if (pathname === LIVE_PATH && opts.viewToken !== undefined && !hasViewAccess(req, upgradeUrl, opts.viewToken, true)) {
      // Accepted, then closed with UNAUTHORIZED: a browser cannot read an HTTP status from a failed upgrade.
      return live.handleUpgrade(req, socket, head, (ws) => {
        ws.send(JSON.stringify({ type: 'error', code: 'UNAUTHORIZED', message: 'this server needs its view token; reload the page with ?token=', fatal: true }));
        ws.close(1008, 'UNAUTHORIZED');
      });
    }
    if (pathname === INGEST_PATH) return ingest.handleUpgrade(req, socket, head, (ws) => ingest.emit('connection', ws, req));
    if (pathname === LIVE_PATH) return live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws, req));
    if (nextUpgrade) return void nextUpgrade(req, socket, head);
    socket.destroy();
  });

  // Every socket holds a descriptor: past this many, new connections are closed at once (the run logs keep theirs).
  server.maxConnections = conn.maxConnections;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // The overview's index, built once the server answers (a first page does not wait for it to be started then).
  setImmediate(() => getSummaries().warm());
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      stopHeartbeat();
      stats?.stop();
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

  return { url: `http://${host}:${port}`, port, registry, broadcaster, analysis, requests, kernel, close };
}
