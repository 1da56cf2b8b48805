/**
 * Issue 8: a server restart while a page is open. The page shows the connection loss, reconnects by itself with
 * backoff, and loses nothing on screen; with --view-token the ?token= link becomes a cookie that outlives the restart.
 * Each test runs its own `layerwatch serve` (pages on) on a free port, so it can kill and restart it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { simulate } from './simulate';

const CLI = path.resolve('bin/layerwatch.mjs');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** `layerwatch serve` with pages on a fixed port; resolves once it listens. */
function serve(port: number, dataDir: string, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--data', dataDir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      if (/listening on/.test(out)) resolve(child);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`serve exited (${code}):\n${out}`)));
  });
}

async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}

const SIM = { layers: 3, units: 16, examples: 120 };

const points = async (page: Page) => Number(await page.getByTestId('scalar-chart-loss').getAttribute('data-points'));

test('a server restart during a live run: banner, reconnect with backoff, nothing lost on screen', async ({ page }) => {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layerwatch-e2e-restart-'));
  let server = await serve(port, dataDir);
  // Held after its first checkpoint until the page shows it live, so the page follows it streaming when the server dies.
  const sim = simulate({ ...SIM, port, checkpoints: 200, interval: 100, seed: 4, holdAt: 1 });
  try {
    const runId = await sim.runId;
    await sim.held;
    await page.goto(`http://127.0.0.1:${port}/runs/${runId}`);
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'live');
    sim.release();
    await expect.poll(() => points(page)).toBeGreaterThan(10);

    // The server dies mid-run (the trainer with it).
    await kill(server);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'reconnecting');
    await page.waitForTimeout(300); // let the chart's last throttled redraw (150 ms) land before counting
    const shown = await points(page);
    await expect(page.getByTestId('connection-banner')).toBeVisible();
    await page.waitForTimeout(2500); // several failed attempts: the backoff grows, the page keeps what it had
    expect(await points(page)).toBe(shown);

    server = await serve(port, dataDir);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 20_000 });
    await expect(page.getByTestId('connection-banner')).toBeHidden();
    // A fresh snapshot (new epoch) replaces the state: everything stored is shown, at least what was on screen.
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'interrupted');
    const after = await points(page);
    expect(after).toBeGreaterThanOrEqual(shown);
    await page.reload();
    await expect(page.getByTestId('scalar-chart-loss')).toHaveAttribute('data-points', String(after));
  } finally {
    sim.stop();
    await kill(server, 'SIGTERM');
  }
});

test('with --view-token: ?token= becomes a cookie, the token leaves the address bar, and the session survives a restart', async ({ page, request }) => {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'layerwatch-e2e-token-'));
  const VIEW = 'e2e-view-token-4711';
  const INGEST = 'e2e-ingest-token-0815';
  let server = await serve(port, dataDir, ['--token', INGEST, '--view-token', VIEW]);
  try {
    const sim = simulate({ ...SIM, port, checkpoints: 8, interval: 0, seed: 2, token: INGEST });
    const runId = await sim.runId;
    expect(await sim.done, String(sim.error())).toBe(0);

    const denied = await request.get(`http://127.0.0.1:${port}/runs/${runId}`, { maxRedirects: 0 });
    expect(denied.status()).toBe(401);
    expect(await denied.text()).not.toContain(VIEW);

    await page.goto(`http://127.0.0.1:${port}/runs/${runId}?token=${VIEW}`);
    expect(page.url()).toBe(`http://127.0.0.1:${port}/runs/${runId}`);
    expect(await page.content()).not.toContain(VIEW);
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'layerwatch_view');
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe('Strict');
    expect(session?.value).not.toContain(VIEW);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open');
    await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
    const shown = await points(page);
    expect(shown).toBeGreaterThan(0);

    await kill(server);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'reconnecting');
    server = await serve(port, dataDir, ['--token', INGEST, '--view-token', VIEW]);
    await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 20_000 });
    await expect(page.getByTestId('scalar-chart-loss')).toHaveAttribute('data-points', String(shown));
  } finally {
    await kill(server, 'SIGTERM');
  }
});
