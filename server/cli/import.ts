/** `layerwatch import FILE`: validates a run log and adds it to a data directory (all or nothing). */
import path from 'node:path';
import { importLog } from '../storage/import';
import { parseArgs, stringFlag, UsageError } from './args';
import { printJson, say } from './terminal-text';

const HELP = 'usage: layerwatch import FILE [--data ./data] [--id RUN_ID] [--json]';

/** Runs the import command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', id: 'string', json: 'boolean', help: 'boolean' });
  if (args.flags.help) return console.log(HELP), 0;
  const [file] = args.positional;
  if (!file) throw new UsageError(`a log file is needed\n${HELP}`);
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  const id = stringFlag(args, 'id');
  const meta = await importLog(dir, path.resolve(file), id ? { id } : {});
  if (args.flags.json) printJson({ run: meta });
  else say`imported ${file} as run ${meta.id} (${meta.status}, ${meta.checkpoints} checkpoints) into ${dir}`;
  return 0;
}
