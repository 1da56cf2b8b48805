/** The wiring: one HTTP server for the Next.js pages, the JSON API and both websocket endpoints (/ingest, /live), and the parts behind them. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { kernelInfo } from '../lib/analysis';
import { settleSteps } from '../lib/chart/convergence-summary';
import { DEFAULT_LIVE_METRICS, DEFAULT_METRIC, RUNS_CHANGES_TOPIC, runTopic, type IngestLimits, type MetricName } from '../lib/protocol';
import { AnalysisManager } from './analysis/manager';
import { AnalysisPool } from './analysis/pool';
import { exposureProblem, hostHeaderName } from './http/auth';
import { startHeartbeat } from './http/heartbeat';
import { Budget, DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from './http/limits';
import { httpRoutes } from './http/routes';
import { createStatsSource, statsEnabled } from './http/stats';
import { IngestConnection } from './ingest/connection';
import { analysisRequests } from './live/analysis-requests';
import { Broadcaster } from './live/broadcaster';
import { handleLiveConnection, type LiveRequestHandlers } from './live/endpoint';
import { seriesRequest } from './live/series-request';
import { topicSource } from './live/topic-source';
import { PROJECT_ROOT } from './project-root';
import type { LogCheckLimits } from './runs/log-content-check';
import { RunRegistry } from './runs/registry';
import { RunSummaries } from './runs/summaries';
import type { StoreDtype } from './storage/float16-store';

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
  /** The analysis workers' nice value, 0–19 (default 10: below ingest and the trainer; 0: the server's own). */
  analysisNice?: number;
  /** Memory for copies of arriving frames prepared before their checkpoint is stored, in MiB (default 128; 0: none; server/analysis/prefetch.ts). */
  prefetchMb?: number;
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
  // The overview's summary index: built on first use from the run index (no log is read), then kept current.
  let summaries: RunSummaries | null = null;
  const getSummaries = () => (summaries ??= new RunSummaries(registry.list()));
  const registry = await RunRegistry.open(opts.dataDir, {
    logLimits,
    log,
    publish: (topic, payload) => {
      broadcaster.publish(topic, payload);
      if (!('runs' in payload)) return;
      summaries?.apply(payload.runs);
      // The overview listens here: it refetches its page instead of holding every run.
      broadcaster.publish(RUNS_CHANGES_TOPIC, payload);
    },
  });
  const epoch = randomBytes(6).toString('hex');
  const info = kernelInfo();
  const kernel = info.name === 'js' && info.engine ? `js (${info.engine})` : info.name;
  const pool = new AnalysisPool(opts.workers, { nice: opts.analysisNice });
  const analysis = new AnalysisManager({
    registry,
    pool,
    log,
    liveMetrics: opts.liveMetrics ?? [...DEFAULT_LIVE_METRICS],
    ...(opts.prefetchMb !== undefined ? { prefetchBytes: opts.prefetchMb * (1 << 20) } : {}),
    publish: (runId, patch) => broadcaster.publish(runTopic(runId), { run: { kind: 'convergence', patch } }),
    publishProgress: (runId, progress) => broadcaster.publish(runTopic(runId), { run: { kind: 'analysis-progress', progress } }),
    publishBacklog: (runId, backlog) => broadcaster.publish(runTopic(runId), { run: { kind: 'analysis-backlog', backlog } }),
    analysed: (runId) => noteSettle(runId),
  });
  // The overview's settle columns: each layer's settle step in the default metric's grid, once a run's analysis is complete.
  const noteSettle = (id: string) => {
    const grid = analysis.snapshot(id)?.grids[DEFAULT_METRIC];
    if (grid && !grid.pending && !analysis.progress(id) && !registry.getLive(id)) registry.noteSettle(id, settleSteps(grid));
  };
  registry.onEnded((id) => void analysis.runEnded(id));
  const broadcaster = new Broadcaster({ epoch, ...topicSource(registry, analysis, noteSettle) });
  const requests: LiveRequestHandlers = { series: seriesRequest(registry), ...analysisRequests(registry, analysis) };

  const pages = opts.pages ? await nextPages(opts) : null;
  const stats = statsEnabled() ? createStatsSource({ broadcaster, analysisQueued: () => pool.queued, prefetch: () => analysis.prefetch.counts }) : null;
  const ingest = new WebSocketServer({ noServer: true, maxPayload: limits.maxFrameBytes, perMessageDeflate: false });
  const live = new WebSocketServer({ noServer: true, maxPayload: conn.maxLiveMessageBytes, perMessageDeflate: false });
  // Slots are taken after the handshake (an authenticated hello on /ingest, a first valid message on /live), so idle sockets hold none.
  const trainers = new Budget(conn.maxIngestConnections);
  const viewers = new Budget(conn.maxLiveConnections);
  const inflight = new Budget(conn.maxInflightBytes);
  const handshakeTimeoutMs = conn.handshakeTimeoutMs;
  ingest.on(
    'connection',
    (ws) =>
      new IngestConnection(ws, {
        registry,
        limits,
        token: opts.token,
        serverName: SERVER_NAME,
        log,
        connectionLimits: conn,
        trainers,
        inflight,
        handshakeTimeoutMs,
        storeDtype: opts.storeDtype,
        frameArrived: (state, frame) => analysis.frameArrived(state, frame),
      }),
  );
  live.on('connection', (ws) =>
    handleLiveConnection(ws, { broadcaster, serverName: SERVER_NAME, kernel, requests, log, limits: conn, viewers, handshakeTimeoutMs }),
  );
  const stopHeartbeat = startHeartbeat([ingest, live], opts.heartbeatMs ?? 15_000);

  const routes = httpRoutes({
    bindHost: opts.host,
    allowedHosts: (opts.allowedHosts ?? [])
      .map((h) => h.trim())
      .filter((h) => h.length > 0)
      .map((h) => (h === '*' ? h : (hostHeaderName(h) ?? h))),
    allowedOrigins: opts.allowedOrigins ?? [],
    viewToken: opts.viewToken,
    api: { registry, summaries: getSummaries, epoch, kernel, logLimits, log, ...(stats ? { stats: stats.read } : {}) },
    ingest,
    live,
    pages,
    log,
  });
  // Against slowloris: Node checks these timeouts every connectionsCheckingInterval, so check often.
  const server: Server = createServer(
    { connectionsCheckingInterval: 1000, requestTimeout: conn.requestTimeoutMs, headersTimeout: Math.min(conn.headersTimeoutMs, conn.requestTimeoutMs) },
    routes.request,
  );
  server.on('upgrade', routes.upgrade);

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
      await pages?.close().catch((err: unknown) => log(`pages: PAGES_CLOSE ${(err as Error)?.message ?? err}`));
    })());

  return { url: `http://${host}:${port}`, port, registry, broadcaster, analysis, requests, kernel, close };
}

/** The Next.js pages (built by `serve`/`replay` when missing, see server/cli/serve.ts): a request handler, and in dev the HMR upgrade. */
async function nextPages(opts: ServerOptions) {
  const { default: next } = await import('next');
  const app = next({ dev: opts.dev ?? false, dir: PROJECT_ROOT, hostname: opts.host, port: opts.port, quiet: true });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgrade = opts.dev ? app.getUpgradeHandler() : null;
  return {
    handle: (req: IncomingMessage, res: ServerResponse) => handle(req, res),
    upgrade,
    close: async () => (app as unknown as { close?: () => Promise<void> }).close?.(),
  };
}
