/** bench/overview.ts runs at its --smoke size (200 runs, no browser) so it cannot rot. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ROOT } from './helpers/server';

test('bench/overview.ts --smoke prints its figures', { timeout: 180_000 }, async () => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/overview.ts'), '--smoke'], {
    cwd: ROOT,
    timeout: 180_000,
  });
  assert.match(stdout, /200 runs written in [\d.]+ s; index.json rebuilt from their meta.json in [\d.]+ ms/);
  assert.match(stdout, /server start \(API only\): [\d.]+ ms; first \/api\/overview \(builds the summary index of 200 runs\): [\d.]+ ms/);
  // A page, never every run: 50 rows of 200.
  assert.match(stdout, /one answer: 50 rows of 200, [\d.]+ KiB; a query \(lr>0.001 tag:baseline adam\) [\d.]+ ms → \d+ runs/);
});
