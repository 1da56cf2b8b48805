/** `layerwatch serve`: the dashboard, /ingest and /live on one port; `--demo` also streams a simulated run into it. */
import path from 'node:path';
import { simulateRun } from '../../clients/node/simulate';
import { DEFAULT_LIVE_METRICS, MetricName } from '../../lib/protocol';
import { ensurePages } from '../../scripts/build-pages.mjs';
import { startServer } from '../app';
import { PROJECT_ROOT } from '../project-root';
import { exposureProblem } from '../http/auth';
import { allowedHostsFlag, allowedOriginsFlag, numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { CONNECTION_LIMIT_FLAGS, INGEST_LIMIT_FLAGS, LIMIT_HELP, LIMIT_SPEC, limitFlags } from './limit-flags';
import { exitFinished } from './exit';
import { logLines, say, warn } from './terminal-text';

const HELP = `usage: layerwatch serve [--host 127.0.0.1] [--port 3000] [--data ./data] [--token T] [--view-token V] [--insecure]
                       [--allowed-hosts NAME,…] [--allowed-origins ORIGIN,…] [--metrics svcca-k,cka] [--workers N]
                       [--analysis-nice 10] [--prefetch-mb 128] [--store-dtype float32|float16] [--dev] [--demo] [--no-pages]
limits (defaults shown; see docs/security.md):
  ${LIMIT_HELP.join('\n  ')}
environment: LAYERWATCH_HOST, LAYERWATCH_PORT, LAYERWATCH_DATA, LAYERWATCH_TOKEN, LAYERWATCH_VIEW_TOKEN, LAYERWATCH_ALLOWED_HOSTS,
             LAYERWATCH_ALLOWED_ORIGINS, LAYERWATCH_METRICS,
             LAYERWATCH_WORKERS, LAYERWATCH_ANALYSIS_NICE, LAYERWATCH_STORE_DTYPE, and LAYERWATCH_MAX_* for each limit flag (e.g. LAYERWATCH_MAX_RATE)
--token guards /ingest; --view-token guards the pages, /api and /live (open the dashboard once with ?token=V).
A host other than loopback needs both tokens, or --insecure.
On loopback, requests must be addressed to a loopback name (DNS rebinding guard); --allowed-hosts adds names
(e.g. a tunnel's), * turns the check off. Websocket upgrades from a web page on another origin are refused;
--allowed-origins adds origins (e.g. http://localhost:5173), * allows any.
Timeouts (--handshake-timeout, --headers-timeout, --request-timeout) are in milliseconds.
--store-dtype float16 stores raw activations as binary16 (half the disk; a run's hello can choose with
options.storage.dtype); see docs/storage.md for what it changes in each metric.`;

/** Runs the serve command until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    host: 'string',
    port: 'number',
    data: 'string',
    token: 'string',
    dev: 'boolean',
    demo: 'boolean',
    'no-pages': 'boolean',
    metrics: 'string',
    workers: 'number',
    'analysis-nice': 'number',
    'prefetch-mb': 'number',
    'store-dtype': 'string',
    help: 'boolean',
    'view-token': 'string',
    insecure: 'boolean',
    'allowed-hosts': 'string',
    'allowed-origins': 'string',
    ...LIMIT_SPEC,
  });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
  const host = stringFlag(args, 'host', 'LAYERWATCH_HOST', '127.0.0.1')!;
  const port = numberFlag(args, 'port', 'LAYERWATCH_PORT', 3000)!;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
  const dataDir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  const token = stringFlag(args, 'token', 'LAYERWATCH_TOKEN');
  const viewToken = stringFlag(args, 'view-token', 'LAYERWATCH_VIEW_TOKEN');
  if (token === '' || viewToken === '') throw new UsageError('--token and --view-token must not be empty');
  const insecure = Boolean(args.flags.insecure);
  const exposure = exposureProblem(host, token, viewToken, insecure);
  if (exposure) throw new UsageError(exposure);
  const allowedHosts = allowedHostsFlag(args);
  const allowedOrigins = allowedOriginsFlag(args);
  const limits = limitFlags(args, INGEST_LIMIT_FLAGS);
  const connectionLimits = limitFlags(args, CONNECTION_LIMIT_FLAGS);
  const liveMetrics = stringFlag(args, 'metrics', 'LAYERWATCH_METRICS', DEFAULT_LIVE_METRICS.join(','))!
    .split(',')
    .map((m) => {
      const parsed = MetricName.safeParse(m.trim());
      if (!parsed.success) throw new UsageError(`--metrics takes a comma-separated list of ${MetricName.options.join(', ')}`);
      return parsed.data;
    });
  const workers = numberFlag(args, 'workers', 'LAYERWATCH_WORKERS');
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) throw new UsageError('--workers must be 1-64');
  const analysisNice = numberFlag(args, 'analysis-nice', 'LAYERWATCH_ANALYSIS_NICE');
  if (analysisNice !== undefined && (!Number.isInteger(analysisNice) || analysisNice < 0 || analysisNice > 19))
    throw new UsageError('--analysis-nice must be 0-19');
  const prefetchMb = numberFlag(args, 'prefetch-mb', 'LAYERWATCH_PREFETCH_MB');
  if (prefetchMb !== undefined && (!Number.isInteger(prefetchMb) || prefetchMb < 0 || prefetchMb > 65_536))
    throw new UsageError('--prefetch-mb must be 0-65536');
  const storeDtype = stringFlag(args, 'store-dtype', 'LAYERWATCH_STORE_DTYPE', 'float32');
  if (storeDtype !== 'float32' && storeDtype !== 'float16') throw new UsageError('--store-dtype takes float32 or float16');
  const pages = !args.flags['no-pages'];
  const dev = Boolean(args.flags.dev);
  // A fresh clone has no build of the pages (and an edited one a stale build): make it first, as `npm run demo` does.
  if (pages && !dev) await ensurePages(PROJECT_ROOT);
  const server = await startServer({
    host,
    port,
    dataDir,
    pages,
    dev,
    token,
    viewToken,
    insecure,
    allowedHosts,
    allowedOrigins,
    limits,
    connectionLimits,
    liveMetrics,
    workers,
    analysisNice,
    prefetchMb,
    storeDtype,
    log: logLines,
  });
  const demo = new AbortController();
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    say`layerwatch: ${signal}, shutting down`;
    demo.abort();
    // A storage error while closing (the data directory gone, a full disk) is said in one line, and the process still leaves.
    const code = await server.close().then(
      () => 0,
      (err: unknown) => {
        warn`layerwatch: shutdown: ${(err as { code?: string }).code ?? 'INTERNAL'}: ${(err as Error)?.message ?? err}`;
        return 1;
      },
    );
    // Every log is closed: leave without the platform shutdown that can deadlock (server/cli/exit.ts).
    await exitFinished(code);
    process.exit(code);
  };
  // A bug that leaves a promise rejection unhandled must not take every trainer and viewer down with it.
  process.on('unhandledRejection', (err) => warn`layerwatch: unhandled rejection (please report): ${(err as Error)?.stack ?? err}`);
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  // Only now say it listens: a supervisor may send SIGINT as soon as it reads this line, and before the handlers above
  // are installed the signal's default action ends the process without closing its logs (1 in 15–30 tries: test/integration/cli-exit.test.ts).
  say`layerwatch: listening on ${server.url} (data ${dataDir}, analysis kernel ${server.kernel})`;
  // Never print a token: the user has it; say only that one is needed.
  if (viewToken !== undefined) say`layerwatch: the dashboard needs the view token: open ${server.url}/?token=<view token> once`;
  if (insecure && exposureProblem(host, token, viewToken, false))
    say`layerwatch: WARNING: --insecure: ${host} is reachable without ${token === undefined ? 'an ingest token' : 'a view token'}`;

  if (args.flags.demo) {
    const ingestUrl = `${server.url.replace(/^http/, 'ws')}/ingest`;
    void (async () => {
      for (let seed = 1; !demo.signal.aborted; seed++) {
        const id = await simulateRun({
          url: ingestUrl,
          token,
          name: `demo run ${seed}`,
          project: 'demo',
          seed,
          layers: 5,
          units: 64,
          examples: 500,
          checkpoints: 60,
          intervalMs: 1000,
          concepts: true,
          signal: demo.signal,
        }).catch((err) => {
          warn`layerwatch: demo run stopped: ${(err as Error).message}`;
          return null;
        });
        if (id) say`layerwatch: demo run ${id} finished; starting another`;
        if (!id) break;
      }
    })();
    say`layerwatch: demo run streaming; open ${server.url}`;
  }
  await new Promise(() => {});
  return 0;
}
