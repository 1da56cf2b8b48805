/** bench/svcca.ts --smoke runs in seconds and prints its table, with our values matching numpy's where numpy is present. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

it('bench/svcca.ts --smoke prints the table and the targets', () => {
  const root = join(import.meta.dirname, '../..');
  const res = spawnSync(process.execPath, ['--import', 'tsx', 'bench/svcca.ts', '--smoke'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(res.status, 0, res.stderr);
  const rows = res.stdout.split('\n').filter((l) => /^\| \d+×\d+ /.test(l));
  assert.equal(rows.length, 2, res.stdout);
  assert.match(res.stdout, /targets:/);
  for (const row of rows) {
    const cells = row.split('|').map((s) => s.trim());
    assert.match(cells[3], /ms|s$/); // js time present
    const delta = cells[cells.length - 2];
    if (delta !== '—') assert.ok(Number(delta) < 1e-6, `our SVCCA differs from numpy's by ${delta}`);
  }
});
