/** Issue 18: a real DDP run (2 ranks, gloo) on the run page — where it ran, the combined loss, and the System panel. */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test } from '@playwright/test';
import type { Series } from '../../lib/protocol';
import { ask, expectAccessible, shoot } from './helpers';

const exec = promisify(execFile);
let runId = '';

test.beforeAll(async () => {
  test.setTimeout(300_000);
  const { stdout } = await exec(
    '/usr/bin/python3',
    [
      path.resolve('examples/ddp_digits.py'),
      '--world-size',
      '2',
      '--url',
      `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`,
      '--epochs',
      '2',
      '--seed',
      '1',
      '--checkpoints',
      '12',
      '--system-interval',
      '0.25',
      '--json',
    ],
    { timeout: 280_000, env: { ...process.env, PYTHONPATH: path.resolve('clients/python') } },
  );
  runId = JSON.parse(stdout.trim().split('\n').at(-1)!).run_id;
});

test('the DDP run shows where it ran, its combined loss and the System panel, in both themes and by keyboard', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
  await expect(page.getByTestId('runtime')).toHaveText('2 processes (gloo) · cpu');
  await expect(page.getByTestId('runtime')).toHaveAttribute('data-world-size', '2');

  // The loss chart is the server's combination of both ranks: as many points as the stored series.
  const loss = await ask<Series>('series', runId, { name: 'loss' });
  await expect(page.getByTestId('scalar-chart-loss')).toHaveAttribute('data-points', String(loss.steps.length));

  const panel = page.getByTestId('panel-system');
  await panel.scrollIntoViewIfNeeded();
  await expect(panel.getByRole('heading', { name: /System/ })).toBeVisible();
  const cpu = panel.getByTestId('system-chart-cpu');
  const cpuSeries = await ask<Series>('series', runId, { name: 'system/cpu_percent' });
  expect(cpuSeries.steps.length).toBeGreaterThan(0);
  await expect(cpu).toHaveAttribute('data-points', String(cpuSeries.steps.length));
  await expect(panel.getByTestId('system-chart-rss')).toBeVisible();
  await expect(panel.getByTestId('system-chart-memory')).toBeVisible();
  await expect(panel.locator('[data-testid^=system-chart-gpu]')).toHaveCount(0); // no GPU on this machine
  await expect(panel.getByTestId('system-summary')).toContainText(/CPU .+% of a core · RSS .+ MiB/);
  await expect(cpu.locator('svg')).toHaveAttribute('aria-label', /against step/);

  // The x axis switches to wall-clock time, from the keyboard.
  const wall = panel.getByRole('radio', { name: 'wall clock' });
  await wall.focus();
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('system-panel')).toHaveAttribute('data-axis', 'wall');
  await expect(wall).toHaveAttribute('aria-checked', 'true');
  await expect(cpu.locator('svg')).toHaveAttribute('aria-label', /against time since the first sample \(s\)/);
  await expectAccessible(page, testInfo, 'ddp-run-light');
  await shoot(page, testInfo, 'ddp-run-light');
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('Space');
  await expect(panel.getByTestId('system-panel')).toHaveAttribute('data-axis', 'step');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect(cpu.locator('path.series').first()).toHaveAttribute('d', /^M/);
  await expectAccessible(page, testInfo, 'ddp-run-dark');
  await shoot(page, testInfo, 'ddp-run-dark');
});
