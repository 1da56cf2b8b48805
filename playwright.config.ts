/**
 * Playwright in Debian's chromium against the real server (`layerwatch serve`) on a free port with a fresh data directory.
 * The web server command builds the pages first (`next build`) so tests never run against a stale build;
 * set LW_E2E_SKIP_BUILD=1 to reuse the existing .next build (`npm run test:e2e` builds once, then sets it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { defineConfig, devices } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/e2e/chromium';

// Chosen once in the runner; workers inherit the environment, so they see the same port and directory.
if (!process.env.LW_E2E_PORT) {
  const probe = "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})";
  process.env.LW_E2E_PORT = execFileSync(process.execPath, ['-e', probe], { encoding: 'utf8' }).trim();
}
process.env.LW_E2E_DATA ??= mkdtempSync(path.join(os.tmpdir(), 'layerwatch-e2e-'));
const port = Number(process.env.LW_E2E_PORT);
const build = process.env.LW_E2E_SKIP_BUILD ? '' : 'npx next build && ';

export default defineConfig({
  testDir: 'test/e2e',
  outputDir: 'test-results/e2e',
  timeout: 120_000,
  expect: { timeout: 20_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list'], ['html', { outputFolder: 'playwright-report', open: 'never' }]],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    viewport: { width: 1440, height: 900 },
    screenshot: 'only-on-failure',
    trace: 'retain-on-failure',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        ...devices['Desktop Chrome'],
        viewport: { width: 1440, height: 900 },
        headless: true,
        launchOptions: {
          executablePath: CHROMIUM_PATH,
          args: [...CHROMIUM_ARGS],
        },
      },
    },
  ],
  webServer: {
    command: `${build}node bin/layerwatch.mjs serve --port ${port} --data ${process.env.LW_E2E_DATA}`,
    url: `http://127.0.0.1:${port}/api/health`,
    env: { NEXT_TELEMETRY_DISABLED: '1' },
    reuseExistingServer: false,
    timeout: 240_000,
    stdout: 'pipe',
    stderr: 'pipe',
  },
});
