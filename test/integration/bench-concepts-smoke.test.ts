/** bench/concepts.ts --smoke runs in seconds and prints its table: one row per case with timings and detector counts. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

it('bench/concepts.ts --smoke prints per-checkpoint costs', () => {
  const root = join(import.meta.dirname, '../..');
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'bench/concepts.ts', '--smoke'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  const rows = res.stdout.split('\n').filter((l) => /^\| (image|spatial)/.test(l));
  assert.equal(rows.length, 2, res.stdout);
  for (const row of rows) {
    const cells = row.split('|').map((s) => s.trim());
    for (const i of [5, 6, 7]) assert.match(cells[i], /^\d+(\.\d+)? (ms|s)$/, `timing cell "${cells[i]}"`);
    assert.match(cells[8], /^\d+\/\d+$/);
  }
  assert.match(res.stdout, /14×14/);
});
