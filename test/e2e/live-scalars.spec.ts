/** Issue 2: the run list and the run page follow a simulated run live over /live. */
import { expect, test } from '@playwright/test';
import { simulate } from './simulate';

test('the run list shows a live run with a pulse and links to it', async ({ page }) => {
  const sim = simulate({ checkpoints: 20, interval: 150, seed: 3, name: 'list e2e', holdAt: 2 });
  const runId = await sim.runId;
  await sim.held;
  await page.goto('/');
  const row = page.locator(`[data-testid=run-row][data-run="${runId}"]`);
  await expect(row).toHaveAttribute('data-status', 'live');
  await expect(row.locator('.pulse')).toBeVisible();
  await expect(row.getByRole('link', { name: 'list e2e' })).toHaveAttribute('href', `/runs/${runId}`);
  sim.release();
  expect(await sim.done, String(sim.error())).toBe(0);
  await expect(row).toHaveAttribute('data-status', 'finished');
  await expect(page.locator('[data-testid=connection-status]')).toHaveAttribute('data-status', 'open');
});

test('the scalar chart updates live during a simulated run', async ({ page }) => {
  const sim = simulate({ checkpoints: 30, interval: 200, seed: 1, holdAt: 3 });
  const runId = await sim.runId;
  await sim.held;
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'live');
  const loss = page.getByTestId('scalar-chart-loss');
  await expect(loss).toBeVisible();
  const points = async () => Number(await loss.getAttribute('data-points'));
  await expect.poll(points).toBeGreaterThan(0);
  const first = await points();
  // More points arrive while the page stays open: the chart follows the stream.
  sim.release();
  await expect.poll(points).toBeGreaterThan(first);
  await expect(loss.locator('path.series')).toHaveAttribute('d', /^M.+L.+/);
  await expect(page.getByTestId('latency')).toHaveText(/\d+ (ms|s)/);
  expect(await sim.done, String(sim.error())).toBe(0);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');

  // A fresh load after the run has the same number of points as the live page: nothing missed, nothing twice.
  const live = await points();
  await page.reload();
  await expect(loss).toHaveAttribute('data-points', String(live));
});

test('a dropped /live connection shows the banner and resumes without gaps or duplicates', async ({ page }) => {
  let blocked = false;
  const sockets: Array<{ close(): Promise<void> }> = [];
  await page.routeWebSocket(/\/live$/, (ws) => {
    if (blocked) return void ws.close({ code: 4002, reason: 'test outage' });
    ws.connectToServer();
    sockets.push(ws);
  });
  const sim = simulate({ checkpoints: 40, interval: 150, seed: 5 });
  const runId = await sim.runId;
  await page.goto(`/runs/${runId}`);
  const loss = page.getByTestId('scalar-chart-loss');
  await expect.poll(async () => Number(await loss.getAttribute('data-points'))).toBeGreaterThan(3);

  blocked = true;
  await Promise.all(sockets.splice(0).map((ws) => ws.close()));
  await expect(page.getByTestId('connection-banner')).toBeVisible();
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'reconnecting');
  await page.waitForTimeout(1500); // the run keeps streaming while the page is cut off
  blocked = false;
  await expect(page.getByTestId('connection-status')).toHaveAttribute('data-status', 'open', { timeout: 15_000 });
  await expect(page.getByTestId('connection-banner')).toBeHidden();

  await sim.done;
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
  const resumed = await loss.getAttribute('data-points');
  await page.reload();
  await expect(loss).toHaveAttribute('data-points', resumed!);
  await expect(page.getByTestId('time-scrubber')).toContainText('40/40');
});
