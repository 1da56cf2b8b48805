/** `layerwatch runs`: lists the stored runs of a data directory without a server (reads only the index). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RunIndex } from '../storage/run-index';
import { parseArgs, stringFlag } from './args';

const HELP = 'usage: layerwatch runs [--data ./data] [--json]';

/** Runs the runs command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', json: 'boolean', help: 'boolean' });
  if (args.flags.help) return console.log(HELP), 0;
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  if (!existsSync(dir)) {
    console.error(`layerwatch runs: NO_DATA_DIR: no data directory at ${dir}`);
    return 1;
  }
  const index = await RunIndex.open(dir);
  const runs = index.list().sort((a, b) => b.createdAt - a.createdAt);
  if (args.flags.json) {
    const out = runs.map((r) => ({ id: r.id, name: r.name, project: r.project ?? null, status: r.status, checkpoints: r.checkpoints, lastStep: r.lastStep, createdAt: r.createdAt, endedAt: r.endedAt ?? null, tags: r.tags ?? [], notes: r.notes ?? '' }));
    console.log(JSON.stringify({ runs: out }));
    return 0;
  }
  if (!runs.length) return console.log(`no runs in ${dir}`), 0;
  const rows = runs.map((r) => [r.id, r.name, r.status, String(r.checkpoints), r.lastStep === null ? '-' : String(r.lastStep), new Date(r.createdAt).toISOString().slice(0, 19).replace('T', ' '), (r.tags ?? []).join(',')]);
  const head = ['ID', 'NAME', 'STATUS', 'CHECKPOINTS', 'LAST STEP', 'CREATED', 'TAGS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows]) console.log(r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return 0;
}
