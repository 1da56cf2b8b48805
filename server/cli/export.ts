/** `layerwatch export RUN`: the run's stored analysis as JSON (computing a metric not stored yet), or its raw log. */
import { copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { MetricName, type ConvergenceGrid } from '../../lib/protocol';
import { analysisPath, loadConvergence } from '../analysis/analysis-store';
import { computeConvergence, readLayout } from '../analysis/offline';
import { RunIndex } from '../storage/run-index';
import { isValidRunId } from '../storage/run-id';
import { CliError, numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { ingestLimitsFromEnv } from './limit-flags';
import { printJson, warn } from './terminal-text';
import { exportConcepts } from './export-concepts';

const HELP = `usage: layerwatch export RUN [--data ./data] --json [--metric svcca|svcca-k|pwcca|cka] [--k K] [--threshold T]
       layerwatch export RUN [--data ./data] --log -o FILE`;

/** Runs the export command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', json: 'boolean', log: 'boolean', output: 'string', metric: 'string', k: 'number', threshold: 'number', help: 'boolean' });
  if (args.flags.help) return console.log(HELP), 0;
  const [id] = args.positional;
  if (!id) throw new UsageError(`a run id is needed\n${HELP}`);
  if (!isValidRunId(id)) throw new CliError('BAD_RUN_ID', `"${id.slice(0, 80)}" is not a run id`);
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  if (!existsSync(dir)) throw new CliError('NO_DATA_DIR', `no data directory at ${dir}`);
  const index = await RunIndex.open(dir);
  const meta = index.get(id);
  if (!meta) {
    throw new CliError('RUN_NOT_FOUND', `no run "${id}" in ${dir}`);
  }
  const logFile = path.join(dir, 'runs', id, 'log.lwlog');
  if (args.flags.log) {
    const out = stringFlag(args, 'output');
    if (!out) throw new UsageError('--log needs -o FILE');
    await copyFile(logFile, out);
    warn`layerwatch export: wrote ${out}`;
    return 0;
  }
  if (!args.flags.json) throw new UsageError(`choose --json or --log\n${HELP}`);
  const metricArg = stringFlag(args, 'metric', undefined, 'svcca')!;
  const parsedMetric = MetricName.safeParse(metricArg);
  if (!parsedMetric.success) throw new UsageError(`--metric must be one of ${MetricName.options.join(', ')}`);
  const metric = parsedMetric.data;
  const opts = { ...(args.flags.k !== undefined ? { k: numberFlag(args, 'k')! } : {}), ...(args.flags.threshold !== undefined ? { threshold: numberFlag(args, 'threshold')! } : {}) };
  // The limits a server started with the same environment would rebuild this run under.
  const layout = await readLayout(logFile, ingestLimitsFromEnv());
  const names = layout.layers.map((l) => l.name);
  let grid: ConvergenceGrid | undefined = Object.keys(opts).length ? undefined : (await loadConvergence(analysisPath(path.dirname(logFile)), names)).get(metric);
  const complete = grid && grid.pending === 0 && grid.steps.length === layout.steps.length && grid.reference === layout.steps.at(-1);
  let source = 'stored';
  if (!complete) {
    grid = await computeConvergence(logFile, metric, opts, layout);
    source = 'computed';
  }
  const g = grid!;
  const out = {
    run: meta,
    layers: names,
    steps: layout.steps,
    convergence: { metric, source, reference: g.reference, toFinal: g.toNewest, stability: g.stability, k: g.k, chance: g.chance },
    concepts: await exportConcepts(analysisPath(path.dirname(logFile)), layout.steps),
  };
  printJson(out);
  return 0;
}
