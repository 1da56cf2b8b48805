/** `layerwatch export RUN`: the run's stored analysis as JSON (computing a metric not stored yet), or its log with its stored analysis. */
import { createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { MetricName, type ConvergenceGrid, type RunMeta } from '../../lib/protocol';
import { analysisPath, loadConvergence } from '../analysis/analysis-store';
import { computeConvergence, readLayout } from '../analysis/offline';
import { bundleStream, planBundle } from '../storage/log-bundle';
import { RunIndex } from '../storage/run-index';
import { isValidRunId } from '../storage/run-id';
import { CliError, numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { LOG_LIMIT_HELP, LOG_LIMIT_SPEC, logLimits } from './limit-flags';
import { printJson, warn } from './terminal-text';
import { exportConcepts } from './export-concepts';
import { readRunState } from '../runs/read-run-state';
import type { LogCheckLimits } from '../runs/log-content-check';
import type { RunState } from '../runs/run-state';

const HELP = `usage: layerwatch export RUN [--data ./data] --json [--metric svcca|svcca-k|pwcca|cka] [--k K] [--threshold T]
       layerwatch export RUN [--data ./data] --log -o FILE
limits a stored log is read under with --json (those of \`layerwatch serve\`; defaults shown; also LAYERWATCH_MAX_*):
  ${LOG_LIMIT_HELP}`;

/** Runs the export command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    data: 'string',
    json: 'boolean',
    log: 'boolean',
    output: 'string',
    metric: 'string',
    k: 'number',
    threshold: 'number',
    help: 'boolean',
    ...LOG_LIMIT_SPEC,
  });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
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
    // The run's log followed by its stored analysis (docs/storage.md, "Exported logs"): a replay of it opens complete.
    const plan = await planBundle(logFile, analysisPath(path.dirname(logFile)));
    await pipeline(bundleStream(plan), createWriteStream(out));
    warn`layerwatch export: wrote ${out} (${plan.size} bytes: the log and ${plan.ranges.length ? 'its stored analysis' : 'no stored analysis'})`;
    return 0;
  }
  if (!args.flags.json) throw new UsageError(`choose --json or --log\n${HELP}`);
  const metricArg = stringFlag(args, 'metric', undefined, 'svcca')!;
  const parsedMetric = MetricName.safeParse(metricArg);
  if (!parsedMetric.success) throw new UsageError(`--metric must be one of ${MetricName.options.join(', ')}`);
  const metric = parsedMetric.data;
  const opts = {
    ...(args.flags.k !== undefined ? { k: numberFlag(args, 'k')! } : {}),
    ...(args.flags.threshold !== undefined ? { threshold: numberFlag(args, 'threshold')! } : {}),
  };
  // The limits a server started with the same flags would rebuild this run under.
  const limits = logLimits(args);
  const layout = await readLayout(logFile, limits);
  const names = layout.layers.map((l) => l.name);
  let grid: ConvergenceGrid | undefined = Object.keys(opts).length
    ? undefined
    : (await loadConvergence(analysisPath(path.dirname(logFile)), names)).get(metric);
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
    ...(await adviceOf(logFile, meta, limits)),
  };
  printJson(out);
  return 0;
}

/** The freeze advice the server gave and the freezes the trainer confirmed, as stored in the log. */
async function adviceOf(logFile: string, meta: RunMeta, limits: LogCheckLimits): Promise<{ advice: RunState['advice']; frozen: RunState['frozen'] }> {
  const state = await readRunState(logFile, meta, limits);
  return { advice: state.advice, frozen: state.frozen };
}
