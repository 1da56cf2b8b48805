/** `layerwatch runs`: lists the stored runs of a data directory without a server (reads only the index). */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { RunIndex } from '../storage/run-index';
import { parseArgs, stringFlag } from './args';
import { printJson, say, terminalSafe, warn } from './terminal-text';

const HELP = 'usage: layerwatch runs [--data ./data] [--json]';

/** Runs the runs command. */
export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { data: 'string', json: 'boolean', help: 'boolean' });
  if (args.flags.help) {
    console.log(HELP);
    return 0;
  }
  const dir = path.resolve(stringFlag(args, 'data', 'LAYERWATCH_DATA', './data')!);
  if (!existsSync(dir)) {
    warn`layerwatch runs: NO_DATA_DIR: no data directory at ${dir}`;
    return 1;
  }
  const index = await RunIndex.open(dir);
  const runs = index.list().sort((a, b) => b.createdAt - a.createdAt);
  if (args.flags.json) {
    const out = runs.map((r) => ({
      id: r.id,
      name: r.name,
      project: r.project ?? null,
      status: r.status,
      checkpoints: r.checkpoints,
      lastStep: r.lastStep,
      createdAt: r.createdAt,
      endedAt: r.endedAt ?? null,
      tags: r.tags ?? [],
      notes: r.notes ?? '',
    }));
    printJson({ runs: out });
    return 0;
  }
  if (!runs.length) {
    say`no runs in ${dir}`;
    return 0;
  }
  // Escaped before the widths are measured, so the columns line up with what the terminal shows.
  const rows = runs.map((r) =>
    [r.id, r.name, r.status, String(r.checkpoints), r.lastStep === null ? '-' : String(r.lastStep), createdAt(r.createdAt), (r.tags ?? []).join(',')].map(
      terminalSafe,
    ),
  );
  const head = ['ID', 'NAME', 'STATUS', 'CHECKPOINTS', 'LAST STEP', 'CREATED', 'TAGS'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  for (const r of [head, ...rows])
    say`${r
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd()}`;
  return 0;
}

/** A run's creation time as "YYYY-MM-DD hh:mm:ss" (UTC); "-" when the index holds no valid time. */
function createdAt(ms: number): string {
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? d.toISOString().slice(0, 19).replace('T', ' ') : '-';
}
