/** bench/render.ts at its --smoke size on the e2e server (it needs the production build this suite has), so it cannot rot. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';

const ROOT = path.resolve(import.meta.dirname, '../..');
const number = String.raw`\d+(\.\d+)?`;
const times = (what: string) => new RegExp(`${what} +p50 ${number} ms +p95 ${number} ms +max ${number} ms`);

test('bench/render.ts --smoke prints redraw and store times per update and the 16 ms target', async ({ baseURL }) => {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/render.ts'), '--smoke', '--url', baseURL!], {
    cwd: ROOT,
    timeout: 90_000,
  });
  expect(stdout).toMatch(/bench\/render \(smoke\): 4 layers × 50\+ checkpoints, [1-9]\d* updates, canvas \d+ css px/);
  expect(stdout).toMatch(times(String.raw`heatmap redraw \(rasterise \+ blit\):`));
  expect(stdout).toMatch(times(String.raw`delta applied to the store \(patch \+ stale\):`));
  expect(stdout).toMatch(times(String.raw`per update \(store \+ redraw\):`));
  expect(stdout).toMatch(/long tasks \(> 50 ms\) during the run: \d+/);
  expect(stdout).toMatch(new RegExp(`target: p95 per update < 16 ms → (met|NOT met) \\(${number} ms\\)`));
});
