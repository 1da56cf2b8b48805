/** `layerwatch replay FILE`: opens the dashboard on a single run log, without a data directory of the user's. */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ensurePages } from '../../scripts/build-pages.mjs';
import { startServer } from '../app';
import { importRun } from '../runs/import-run';
import { LogContentCheck } from '../runs/log-content-check';
import { PROJECT_ROOT } from '../project-root';
import { allowedHostsFlag, numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { LOG_LIMIT_HELP, LOG_LIMIT_SPEC, logLimits, serverLimits } from './limit-flags';
import { exitFinished } from './exit';
import { logLines, say } from './terminal-text';

const HELP = `usage: layerwatch replay FILE [--port 3000] [--host 127.0.0.1] [--no-pages] [--view-token V] [--insecure] [--allowed-hosts NAME,…]
limits the log must keep (those of \`layerwatch serve\`; defaults shown; also LAYERWATCH_MAX_*):
  ${LOG_LIMIT_HELP}`;

/** Runs the replay command until SIGINT/SIGTERM. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    port: 'number',
    host: 'string',
    'no-pages': 'boolean',
    help: 'boolean',
    'view-token': 'string',
    insecure: 'boolean',
    'allowed-hosts': 'string',
    ...LOG_LIMIT_SPEC,
  });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
  const [file] = args.positional;
  if (!file) throw new UsageError(`a log file is needed\n${HELP}`);
  // The log is validated and copied into a throw-away data directory: the user's file is never written.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'layerwatch-replay-'));
  try {
    const limits = logLimits(args);
    const meta = await importRun(dataDir, path.resolve(file), { check: new LogContentCheck(limits) });
    const host = stringFlag(args, 'host', 'LAYERWATCH_HOST', '127.0.0.1')!;
    const port = numberFlag(args, 'port', 'LAYERWATCH_PORT', 3000)!;
    const viewToken = stringFlag(args, 'view-token', 'LAYERWATCH_VIEW_TOKEN');
    if (viewToken === '') throw new UsageError('--view-token must not be empty');
    // Nobody streams into a replay: /ingest gets a random token no one knows.
    const token = randomBytes(32).toString('base64url');
    const pages = !args.flags['no-pages'];
    if (pages) await ensurePages(PROJECT_ROOT);
    const server = await startServer({
      host,
      port,
      dataDir,
      pages,
      token,
      viewToken,
      insecure: Boolean(args.flags.insecure),
      allowedHosts: allowedHostsFlag(args),
      ...serverLimits(limits),
      log: logLines,
    });
    say`layerwatch: listening on ${server.url} (replaying ${file})`;
    say`layerwatch: open ${server.url}/runs/${meta.id}`;
    const stop = async () => {
      await server.close();
      await rm(dataDir, { recursive: true, force: true });
      // Every log is closed: leave without the platform shutdown that can deadlock (server/cli/exit.ts).
      await exitFinished(0);
      process.exit(0);
    };
    process.once('SIGINT', () => void stop());
    process.once('SIGTERM', () => void stop());
    await new Promise(() => {});
    return 0;
  } catch (err) {
    await rm(dataDir, { recursive: true, force: true });
    throw err;
  }
}
