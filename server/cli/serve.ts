/** `layerwatch serve`: the dashboard, /ingest and /live on one port; `--demo` also streams a simulated run into it. */
import path from 'node:path';
import { simulateRun } from '../../clients/node/simulate';
import { MetricName } from '../../lib/protocol';
import { startServer } from '../app-server';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args';

const HELP = `usage: layerwatch serve [--host 127.0.0.1] [--port 3000] [--data ./data] [--token T] [--metrics svcca-k,cka] [--workers N]
                       [--dev] [--demo] [--no-pages]
environment: LAYERWATCH_HOST, LAYERWATCH_PORT, LAYERWATCH_DATA, LAYERWATCH_TOKEN, LAYERWATCH_METRICS, LAYERWATCH_WORKERS`;

/** Runs the serve command until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    host: 'string', port: 'number', data: 'string', token: 'string', dev: 'boolean', demo: 'boolean', 'no-pages': 'boolean',
    metrics: 'string', workers: 'number', help: 'boolean',
  });
  if (args.flags.help) return console.log(HELP), 0;
  const host = stringFlag(args, 'host', 'LAYERWATCH_HOST', '127.0.0.1')!;
  const port = numberFlag(args, 'port', 'LAYERWATCH_PORT', 3000)!;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0-65535');
  const dataDir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  const token = stringFlag(args, 'token', 'LAYERWATCH_TOKEN');
  const liveMetrics = (stringFlag(args, 'metrics', 'LAYERWATCH_METRICS', 'svcca-k,cka')!).split(',').map((m) => {
    const parsed = MetricName.safeParse(m.trim());
    if (!parsed.success) throw new UsageError(`--metrics takes a comma-separated list of ${MetricName.options.join(', ')}`);
    return parsed.data;
  });
  const workers = numberFlag(args, 'workers', 'LAYERWATCH_WORKERS');
  if (workers !== undefined && (!Number.isInteger(workers) || workers < 1 || workers > 64)) throw new UsageError('--workers must be 1-64');
  const server = await startServer({ host, port, dataDir, pages: !args.flags['no-pages'], dev: Boolean(args.flags.dev), token, liveMetrics, workers });
  console.log(`layerwatch: listening on ${server.url} (data ${dataDir})`);

  const demo = new AbortController();
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    console.log(`layerwatch: ${signal}, shutting down`);
    demo.abort();
    await server.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  if (args.flags.demo) {
    const ingestUrl = server.url.replace(/^http/, 'ws') + '/ingest';
    void (async () => {
      for (let seed = 1; !demo.signal.aborted; seed++) {
        const id = await simulateRun({ url: ingestUrl, token, name: `demo run ${seed}`, project: 'demo', seed, layers: 5, units: 64, examples: 500, checkpoints: 60, intervalMs: 1000, signal: demo.signal }).catch((err) => {
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
