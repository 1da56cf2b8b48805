/** `layerwatch simulate`: streams a seeded synthetic run whose layers converge bottom-up. */
import { simulateRun } from '../../clients/node/simulate';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { say } from './terminal-text';

const HELP = `usage: layerwatch simulate [--url ws://127.0.0.1:3000/ingest] [--name N] [--project P] [--checkpoints K]
                          [--layers L] [--units U] [--examples M] [--seed S] [--probe-seed P] [--interval MS] [--token T] [--no-concepts]`;

/** Runs the simulate command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    url: 'string',
    name: 'string',
    project: 'string',
    checkpoints: 'number',
    layers: 'number',
    units: 'number',
    examples: 'number',
    seed: 'number',
    'probe-seed': 'number',
    interval: 'number',
    token: 'string',
    help: 'boolean',
    quiet: 'boolean',
    'no-concepts': 'boolean',
  });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
  const int = (name: string, fallback: number, min: number) => {
    const v = numberFlag(args, name, undefined, fallback)!;
    if (!Number.isInteger(v) || v < min) throw new UsageError(`--${name} must be an integer ≥ ${min}`);
    return v;
  };
  const opts = {
    url: stringFlag(args, 'url', 'LAYERWATCH_URL', 'ws://127.0.0.1:3000/ingest')!,
    name: stringFlag(args, 'name'),
    project: stringFlag(args, 'project'),
    token: stringFlag(args, 'token', 'LAYERWATCH_TOKEN'),
    checkpoints: int('checkpoints', 40, 1),
    layers: int('layers', 4, 1),
    units: int('units', 64, 1),
    examples: int('examples', 500, 2),
    seed: int('seed', 1, 0),
    probeSeed: int('probe-seed', 0, 0),
    intervalMs: numberFlag(args, 'interval', undefined, 500)!,
    concepts: !args.flags['no-concepts'],
  };
  if (!/^wss?:\/\/[^/]/i.test(opts.url)) throw new UsageError(`--url must be a ws:// or wss:// address, got "${opts.url.slice(0, 200)}"`);
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const quiet = Boolean(args.flags.quiet);
  const id = await simulateRun({
    ...opts,
    signal: controller.signal,
    onRun: (runId) => !quiet && say`layerwatch simulate: run ${runId} → ${opts.url}`,
    onCheckpoint: (step, i) => !quiet && process.stdout.write(`\rcheckpoint ${i + 1}/${opts.checkpoints} (step ${step})`),
  });
  if (!quiet) console.log('');
  if (!quiet) say`layerwatch simulate: run ${id} ${controller.signal.aborted ? 'stopped' : 'finished'}`;
  return 0;
}
