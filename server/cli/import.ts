/** `layerwatch import FILE`: validates a run log (framing and contents, under the serve limits) and adds it to a data directory (all or nothing). */
import path from 'node:path';
import { importRun } from '../runs/import-run';
import { LogContentCheck } from '../runs/log-content-check';
import { parseArgs, stringFlag, UsageError } from './args';
import { LOG_LIMIT_HELP, LOG_LIMIT_SPEC, logLimits } from './limit-flags';
import { printJson, say } from './terminal-text';

const HELP = `usage: layerwatch import FILE [--data ./data] [--id RUN_ID] [--json]
limits the log must keep (those of \`layerwatch serve\`; defaults shown; also LAYERWATCH_MAX_*):
  ${LOG_LIMIT_HELP}`;

/** Runs the import command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', id: 'string', json: 'boolean', help: 'boolean', ...LOG_LIMIT_SPEC });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
  const [file] = args.positional;
  if (!file) throw new UsageError(`a log file is needed\n${HELP}`);
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  const id = stringFlag(args, 'id');
  const meta = await importRun(dir, path.resolve(file), { check: new LogContentCheck(logLimits(args)), ...(id ? { id } : {}) });
  if (args.flags.json) printJson({ run: meta });
  else say`imported ${file} as run ${meta.id} (${meta.status}, ${meta.checkpoints} checkpoints) into ${dir}`;
  return 0;
}
