/**
 * bench/profile-summary: self time per function of `.cpuprofile` files (node --cpu-prof; `--profile DIR` of the benches),
 * one table per file, busiest first. Native addon calls count as the self time of the JavaScript function that made them.
 *
 *   node --import tsx bench/profile-summary.ts DIR_OR_FILES… [--top 15]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { numArg } from './helpers';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Milliseconds of self time per "function (file:line)", plus the profile's whole span. */
export function selfTimes(profile: Profile): { total: number; rows: Array<[string, number]> } {
  const label = new Map<number, string>();
  for (const n of profile.nodes) {
    const f = n.callFrame;
    const file = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    label.set(n.id, `${f.functionName || '(anonymous)'}${file ? ` (${file})` : ''}`);
  }
  const by = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i] ?? 0) / 1000;
    total += dt;
    const key = label.get(id) ?? '?';
    by.set(key, (by.get(key) ?? 0) + dt);
  });
  return { total, rows: [...by].sort((a, b) => b[1] - a[1]) };
}

const top = numArg('top', 15);
const inputs = process.argv.slice(2).filter((a, i, all) => !a.startsWith('--') && all[i - 1] !== '--top');
const files = inputs.flatMap((p) =>
  statSync(p).isDirectory()
    ? readdirSync(p)
        .filter((f) => f.endsWith('.cpuprofile'))
        .map((f) => path.join(p, f))
    : [p],
);
for (const file of files.sort()) {
  const { total, rows } = selfTimes(JSON.parse(readFileSync(file, 'utf8')) as Profile);
  const busy = rows.filter(([k]) => k !== '(idle)').reduce((s, [, v]) => s + v, 0);
  console.log(`\n${path.basename(file)}: ${(total / 1000).toFixed(1)} s sampled, ${(busy / 1000).toFixed(1)} s not idle`);
  for (const [k, v] of rows.slice(0, top)) console.log(`  ${(v / 1000).toFixed(2).padStart(8)} s  ${((100 * v) / total).toFixed(1).padStart(5)}%  ${k}`);
}
