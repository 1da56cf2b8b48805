/**
 * Bench: heatmap redraw time on the real run page in Chromium, with a synthetic 48 layers × 5,000 checkpoints grid
 * pushed through the store (the /bench/render page's hook), one realistic delta per frame. Prints p50/p95 against 16 ms.
 * Usage: npx next build (once), then `node --import tsx bench/render.ts [--smoke] [--assert] [--url http://HOST:PORT]`
 * (--url: measure on a server already serving the pages, as the e2e suite's smoke run does, instead of starting one).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { launchChromium } from './helpers';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const smoke = process.argv.includes('--smoke');
const strict = process.argv.includes('--assert');
const urlAt = process.argv.indexOf('--url');
const given = urlAt >= 0 ? process.argv[urlAt + 1] : undefined;
const LAYERS = smoke ? 4 : 48;
const COLUMNS = smoke ? 50 : 5000;
const UPDATES = smoke ? 20 : 300;
const WARMUP = smoke ? 3 : 30;
const TARGET_MS = 16;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

/** A layerwatch server serving the pages on a free port and a fresh data directory; stop() ends it and removes the data. */
async function startServer(): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'layerwatch-bench-render-'));
  const server = spawn(process.execPath, [join(root, 'bin/layerwatch.mjs'), 'serve', '--port', String(port), '--data', data], {
    cwd: root,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    server.stdout!.on('data', (b: Buffer) => /listening on/.test(b.toString()) && resolve());
    server.once('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => {
      server.kill('SIGTERM');
      rmSync(data, { recursive: true, force: true });
    },
  };
}

async function main(): Promise<number> {
  if (!given && !existsSync(join(root, '.next', 'BUILD_ID'))) {
    console.error('bench/render: no production build; run `npx next build` first');
    return 2;
  }
  const server = given ? { url: given.replace(/\/$/, ''), stop: () => {} } : await startServer();
  let browser: Browser | undefined;
  try {
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`${server.url}/bench/render`);
    await page.waitForFunction(() => Boolean(window.__layerwatchBench));
    await page.evaluate(([l, c]) => window.__layerwatchBench!.load(l, c), [LAYERS, COLUMNS] as const);
    await page.waitForSelector(`[data-testid=convergence-heatmap][data-columns="${COLUMNS}"]`);
    const result = await page.evaluate(
      async ([updates, warmup]) => {
        const hook = window.__layerwatchBench!;
        const times = window.__layerwatchDrawTimes!;
        let longTasks = 0;
        const obs = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
        obs.observe({ type: 'longtask', buffered: false });
        const apply: number[] = [];
        const draw: number[] = [];
        for (let i = 0; i < warmup + updates; i++) {
          const before = times.length;
          const a = hook.push();
          // the heatmap's draw for this delta runs in this frame, before this callback (no named helpers here: tsx would wrap them in __name)
          await new Promise<void>((r) => requestAnimationFrame(() => r()));
          if (i >= warmup && times.length > before) {
            apply.push(a);
            draw.push(times[times.length - 1]);
          }
        }
        obs.disconnect();
        return { apply, draw, longTasks, width: document.querySelector('.heatmap-canvas')!.clientWidth, dpr: devicePixelRatio };
      },
      [UPDATES, WARMUP] as const,
    );
    const total = result.draw.map((d, i) => d + result.apply[i]);
    const p = (xs: number[]) => `p50 ${quantile(xs, 0.5).toFixed(2)} ms  p95 ${quantile(xs, 0.95).toFixed(2)} ms  max ${Math.max(...xs).toFixed(2)} ms`;
    console.log(
      `bench/render${smoke ? ' (smoke)' : ''}: ${LAYERS} layers × ${COLUMNS}+ checkpoints, ${result.draw.length} updates, canvas ${result.width} css px @${result.dpr}x, Chromium headless (software)`,
    );
    console.log(`  heatmap redraw (rasterise + blit):          ${p(result.draw)}`);
    console.log(`  delta applied to the store (patch + stale): ${p(result.apply)}`);
    console.log(`  per update (store + redraw):                ${p(total)}   target < ${TARGET_MS} ms`);
    console.log(`  long tasks (> 50 ms) during the run: ${result.longTasks}`);
    const ok = quantile(total, 0.95) < TARGET_MS;
    console.log(`  target: p95 per update < ${TARGET_MS} ms → ${ok ? 'met' : 'NOT met'} (${quantile(total, 0.95).toFixed(2)} ms)`);
    return strict && !ok ? 1 : 0;
  } finally {
    await browser?.close();
    server.stop();
  }
}

process.exitCode = await main();
