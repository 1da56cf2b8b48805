/** `layerwatch export RUN`: the run's stored analysis as JSON (computing a metric not stored yet), or its log with its stored analysis. */
import { createWriteStream, existsSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { MetricName, type ConvergenceGrid } from '../../lib/protocol';
import { analysisPath, loadConvergence } from '../analysis/analysis-store';
import { computeConvergence, readLayout } from '../analysis/offline';
import { bundleStream, planBundle } from '../storage/log-bundle';
import { RunIndex } from '../storage/run-index';
import { isValidRunId } from '../storage/run-id';
import { numberFlag, parseArgs, stringFlag, UsageError } from './args';
import { exportConcepts } from './export-concepts';
import { readRunState } from '../read-run-state';
import type { RunState } from '../run-state';
import type { RunMeta } from '../../lib/protocol';

const HELP = `usage: layerwatch export RUN [--data ./data] --json [--metric svcca|svcca-k|pwcca|cka] [--k K] [--threshold T]
       layerwatch export RUN [--data ./data] --log -o FILE`;

/** Runs the export command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', json: 'boolean', log: 'boolean', output: 'string', metric: 'string', k: 'number', threshold: 'number', help: 'boolean' });
  if (args.flags.help) return console.log(HELP), 0;
  const [id] = args.positional;
  if (!id) throw new UsageError(`a run id is needed\n${HELP}`);
  if (!isValidRunId(id)) throw new UsageError(`BAD_RUN_ID: "${id.slice(0, 80)}" is not a run id`);
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  if (!existsSync(dir)) throw new UsageError(`NO_DATA_DIR: no data directory at ${dir}`);
  const index = await RunIndex.open(dir);
  const meta = index.get(id);
  if (!meta) {
    console.error(`layerwatch export: RUN_NOT_FOUND: no run "${id}" in ${dir}`);
    return 1;
  }
  const logFile = path.join(dir, 'runs', id, 'log.lwlog');
  if (args.flags.log) {
    const out = stringFlag(args, 'output');
    if (!out) throw new UsageError('--log needs -o FILE');
    // The run's log followed by its stored analysis (docs/storage.md, "Exported logs"): a replay of it opens complete.
    const plan = await planBundle(logFile, analysisPath(path.dirname(logFile)));
    await pipeline(bundleStream(plan), createWriteStream(out));
    console.error(`layerwatch export: wrote ${out} (${plan.size} bytes: the log and ${plan.ranges.length ? 'its stored analysis' : 'no stored analysis'})`);
    return 0;
  }
  if (!args.flags.json) throw new UsageError(`choose --json or --log\n${HELP}`);
  const metricArg = stringFlag(args, 'metric', undefined, 'svcca')!;
  const parsedMetric = MetricName.safeParse(metricArg);
  if (!parsedMetric.success) throw new UsageError(`--metric must be one of ${MetricName.options.join(', ')}`);
  const metric = parsedMetric.data;
  const opts = { ...(args.flags.k !== undefined ? { k: numberFlag(args, 'k')! } : {}), ...(args.flags.threshold !== undefined ? { threshold: numberFlag(args, 'threshold')! } : {}) };
  const layout = await readLayout(logFile);
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
    ...(await adviceOf(logFile, meta)),
  };
  console.log(JSON.stringify(out));
  return 0;
}

/** The freeze advice the server gave and the freezes the trainer confirmed, as stored in the log. */
async function adviceOf(logFile: string, meta: RunMeta): Promise<{ advice: RunState['advice']; frozen: RunState['frozen'] }> {
  const state = await readRunState(logFile, meta);
  return { advice: state.advice, frozen: state.frozen };
}
