/** `layerwatch serve`: the dashboard, /ingest and /live on one port; `--demo` also streams a simulated run into it. */
import path from 'node:path';
import { simulateRun } from '../../clients/node/simulate';
import { MetricName } from '../../lib/protocol';
import { ensurePages } from '../../scripts/build-pages.mjs';
import { startServer } from '../app-server';
import { PROJECT_ROOT } from '../project-root';
import type { IngestLimits } from '../../lib/protocol';
import { exposureProblem } from '../auth';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from '../limits';
import { allowedHostsFlag, numberFlag, parseArgs, stringFlag, UsageError, type FlagSpec } from './args';
import { limitFlags } from './limit-flags';
import { exitFinished } from './exit';

/** Limit flags: flag → [limit key, default]; each also reads LAYERWATCH_<FLAG> (e.g. LAYERWATCH_MAX_RATE). */
const INGEST_LIMIT_FLAGS = {
  'max-frame': 'maxFrameBytes',
  'max-layers': 'maxLayers',
  'max-units': 'maxUnits',
  'max-examples': 'maxExamples',
  'max-run-bytes': 'maxRunBytes',
  'max-rate': 'maxMessagesPerSecond',
} as const satisfies Record<string, keyof IngestLimits>;
const CONNECTION_LIMIT_FLAGS = {
  'max-text-bytes': 'maxTextBytes',
  'max-checkpoint-bytes': 'maxCheckpointBytes',
  'max-ingest-connections': 'maxIngestConnections',
  'max-live-connections': 'maxLiveConnections',
  'max-live-subscriptions': 'maxLiveSubscriptions',
  'max-live-rate': 'maxLiveRate',
  'max-live-in-flight': 'maxLiveInFlight',
  'max-live-message-bytes': 'maxLiveMessageBytes',
  'max-send-buffer-bytes': 'maxSendBufferBytes',
} as const satisfies Record<string, keyof ConnectionLimits>;

const limitHelp = [
  ...Object.entries(INGEST_LIMIT_FLAGS).map(([flag, key]) => `--${flag} ${DEFAULT_LIMITS[key]}`),
  ...Object.entries(CONNECTION_LIMIT_FLAGS).map(([flag, key]) => `--${flag} ${DEFAULT_CONNECTION_LIMITS[key]}`),
];

const HELP = `usage: layerwatch serve [--host 127.0.0.1] [--port 3000] [--data ./data] [--token T] [--view-token V] [--insecure]
                       [--allowed-hosts NAME,…] [--metrics svcca-k,cka] [--workers N] [--store-dtype float32|float16]
                       [--dev] [--demo] [--no-pages]
limits (defaults shown; see docs/security.md):
  ${limitHelp.join('\n  ')}
environment: LAYERWATCH_HOST, LAYERWATCH_PORT, LAYERWATCH_DATA, LAYERWATCH_TOKEN, LAYERWATCH_VIEW_TOKEN, LAYERWATCH_ALLOWED_HOSTS, LAYERWATCH_METRICS,
             LAYERWATCH_WORKERS, LAYERWATCH_STORE_DTYPE, and LAYERWATCH_MAX_* for each limit flag (e.g. LAYERWATCH_MAX_RATE)
--token guards /ingest; --view-token guards the pages, /api and /live (open the dashboard once with ?token=V).
A host other than loopback needs both tokens, or --insecure.
On loopback, requests must be addressed to a loopback name (DNS rebinding guard); --allowed-hosts adds names
(e.g. a tunnel's), * turns the check off.
--store-dtype float16 stores raw activations as binary16 (half the disk; a run's hello can choose with
options.storage.dtype); see docs/storage.md for what it changes in each metric.`;

/** Runs the serve command until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    host: 'string', port: 'number', data: 'string', token: 'string', dev: 'boolean', demo: 'boolean', 'no-pages': 'boolean',
    metrics: 'string', workers: 'number', 'store-dtype': 'string', help: 'boolean', 'view-token': 'string', insecure: 'boolean', 'allowed-hosts': 'string',
    ...(Object.fromEntries([...Object.keys(INGEST_LIMIT_FLAGS), ...Object.keys(CONNECTION_LIMIT_FLAGS)].map((f) => [f, 'number'])) as FlagSpec),
  });
  if (args.flags.help) return console.log(HELP), 0;
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
  const limits = limitFlags(args, INGEST_LIMIT_FLAGS);
  const connectionLimits = limitFlags(args, CONNECTION_LIMIT_FLAGS);
  const liveMetrics = (stringFlag(args, 'metrics', 'LAYERWATCH_METRICS', 'svcca-k,cka')!).split(',').map((m) => {
    const parsed = MetricName.safeParse(m.trim());
    if (!parsed.success) throw new UsageError(`--metrics takes a comma-separated list of ${MetricName.options.join(', ')}`);
    return parsed.data;
  });
  const workers = numberFlag(args, 'workers', 'LAYERWATCH_WORKERS');
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) throw new UsageError('--workers must be 1-64');
  const storeDtype = stringFlag(args, 'store-dtype', 'LAYERWATCH_STORE_DTYPE', 'float32');
  if (storeDtype !== 'float32' && storeDtype !== 'float16') throw new UsageError('--store-dtype takes float32 or float16');
  const pages = !args.flags['no-pages'];
  const dev = Boolean(args.flags.dev);
  // A fresh clone has no build of the pages (and an edited one a stale build): make it first, as `npm run demo` does.
  if (pages && !dev) await ensurePages(PROJECT_ROOT);
  const server = await startServer({ host, port, dataDir, pages, dev, token, viewToken, insecure, allowedHosts, limits, connectionLimits, liveMetrics, workers, storeDtype });
  console.log(`layerwatch: listening on ${server.url} (data ${dataDir}, analysis kernel ${server.kernel})`);
  // Never print a token: the user has it; say only that one is needed.
  if (viewToken !== undefined) console.log(`layerwatch: the dashboard needs the view token: open ${server.url}/?token=<view token> once`);
  if (insecure && exposureProblem(host, token, viewToken, false)) console.log(`layerwatch: WARNING: --insecure: ${host} is reachable without ${token === undefined ? 'an ingest token' : 'a view token'}`);

  const demo = new AbortController();
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`layerwatch: ${signal}, shutting down`);
    demo.abort();
    await server.close();
    // Every log is closed: leave without the platform shutdown that can deadlock (server/cli/exit.ts).
    await exitFinished(0);
    process.exit(0);
  };
  // A bug that leaves a promise rejection unhandled must not take every trainer and viewer down with it.
  process.on('unhandledRejection', (err) => console.error(`layerwatch: unhandled rejection (please report): ${(err as Error)?.stack ?? err}`));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (args.flags.demo) {
    const ingestUrl = server.url.replace(/^http/, 'ws') + '/ingest';
    void (async () => {
      for (let seed = 1; !demo.signal.aborted; seed++) {
        const id = await simulateRun({ url: ingestUrl, token, name: `demo run ${seed}`, project: 'demo', seed, layers: 5, units: 64, examples: 500, checkpoints: 60, intervalMs: 1000, concepts: true, signal: demo.signal }).catch((err) => {
          console.error(`layerwatch: demo run stopped: ${(err as Error).message}`);
          return null;
        });
        if (id) console.log(`layerwatch: demo run ${id} finished; starting another`);
        if (!id) break;
      }
    })();
    console.log(`layerwatch: demo run streaming; open ${server.url}`);
  }
  await new Promise(() => {});
  return 0;
}
