/**
 * Issue 20 (1): the scalar charts' log axes and smoothing — decade ticks, non-positive points dropped with a visible
 * note, TensorBoard's debiased EMA checked against values computed by hand, settings in the URL and on the keyboard,
 * in the figure export, themed and axe-clean. One small run with planted values, streamed once.
 */
import { readFile } from 'node:fs/promises';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { IngestClient } from '../../clients/node/ingest-client';
import { expectAccessible, shoot } from './helpers';

const RUN = 'e2e-scalar-charts';
// loss > 0 everywhere; margin has −1 at step 0 and 0 at step 10, which no log y axis can place.
const LOSS = { steps: [10, 20, 30, 40], values: [4, 2, 1, 0.5] };
const MARGIN = { steps: [0, 10, 20, 30, 40], values: [-1, 0, 0.01, 0.1, 1] };
// Debiased EMA, w = 0.5, by hand: ema = 2, 2, 1.5, 1.0; divided by 1 − 0.5^t = 0.5, 0.75, 0.875, 0.9375.
const LOSS_EMA_05 = ['4', '2.667', '1.714', '1.067'];

test.beforeAll(async () => {
  // Streamed once per server (a worker restarted after a failure finds it stored).
  if ((await fetch(`http://127.0.0.1:${process.env.LW_E2E_PORT}/api/runs/${RUN}`)).ok) return;
  const client = await IngestClient.connect({
    url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`,
    run: { id: RUN, name: 'scalar charts', config: { lr: 0.1 } },
  });
  const m = 16;
  await client.declare([{ name: 'h1', units: 4 }], { examples: m });
  for (const [i, step] of MARGIN.steps.entries()) {
    const values: Record<string, number> = { margin: MARGIN.values[i] };
    const j = LOSS.steps.indexOf(step);
    if (j >= 0) values.loss = LOSS.values[j];
    await client.log(step, values);
  }
  for (const step of [10, 40])
    await client.checkpoint(step, [{ layer: 'h1', shape: [4, m], data: Float32Array.from({ length: 4 * m }, (_, k) => Math.sin(k + step)) }]);
  await client.end('finished');
  await client.close();
});

const chart = (page: Page, name: string) => page.getByTestId(`scalar-chart-${name}`);
const ticks = (fig: Locator, axis: 'x' | 'y') => fig.locator(`.axis-${axis} > g text`).allTextContents();

/** The first series' readout with the pointer at `at` of the plot's width (0: the first step, 1: the last). */
async function readoutAt(page: Page, fig: Locator, at: number): Promise<string> {
  const box = (await fig.locator('rect.overlay').boundingBox())!;
  await page.mouse.move(box.x + Math.min(box.width - 1, Math.max(1, box.width * at)), box.y + box.height / 2);
  const text = await fig.locator('.readout-value').first().innerText();
  await page.mouse.move(0, 0);
  return text;
}

test('log axes: decade ticks, non-positive points dropped with a note, from the URL', async ({ page }) => {
  await page.goto(`/runs/${RUN}?logy=margin&logx=loss`);
  const margin = chart(page, 'margin');
  await expect(margin).toHaveAttribute('data-logy', 'true');
  // Positive margins span 0.01..1: ticks at exactly those decades, nothing in between.
  await expect.poll(() => ticks(margin, 'y')).toEqual(['0.01', '0.1', '1']);
  await expect(margin).toHaveAttribute('data-dropped', '2');
  await expect(margin.getByTestId('log-dropped')).toHaveText('2 points ≤ 0 not shown (log y)');
  await expect(margin.locator('path.series')).toHaveAttribute('data-shown', '3');
  // loss on a log x axis: steps 10..40 fill the decades 10..100; nothing dropped.
  const loss = chart(page, 'loss');
  await expect(loss).toHaveAttribute('data-logx', 'true');
  await expect.poll(() => ticks(loss, 'x')).toEqual(['10', '100']);
  await expect(loss).toHaveAttribute('data-dropped', '0');
  await expect(loss.getByTestId('log-dropped')).toHaveCount(0);

  // Both axes log on margin: step 0 (margin −1) and margin 0 (step 10) are the two dropped.
  await page.goto(`/runs/${RUN}?logy=margin&logx=margin`);
  await expect(chart(page, 'margin').getByTestId('log-dropped')).toHaveText('2 points ≤ 0 not shown (log axes)');
});

test('smoothing: hand-computed debiased EMA, raw faint underneath, band; set by keyboard, kept in the URL', async ({ page }) => {
  await page.goto(`/runs/${RUN}?smooth=loss:0.5`);
  const loss = chart(page, 'loss');
  await expect(loss).toHaveAttribute('data-smoothing', '0.5');
  await expect(loss.locator('path.series-smoothed')).toHaveCount(1);
  await expect(loss.locator('path.series-raw')).toHaveCount(1);
  // Steps 10, 20, 30, 40 sit at 0, 1/3, 2/3 and 1 of the plot. The first smoothed value is the first raw value (debiased).
  for (const [i, at] of [0, 1 / 3, 2 / 3, 1].entries()) expect(await readoutAt(page, loss, at)).toBe(`${LOSS_EMA_05[i]} (raw ${LOSS.values[i]})`);
  await expect(loss.locator('.axis-x .axis-title')).toHaveText('step · EMA 0.5 (raw faint)');

  // Keyboard only: open the view menu, turn log y on, move the slider, turn the band on.
  await loss.getByTestId('chart-view-menu').locator('summary').focus();
  await page.keyboard.press('Enter');
  await page.keyboard.press('Tab');
  await expect(loss.getByTestId('log-y')).toBeFocused();
  await page.keyboard.press('Space');
  await expect(page).toHaveURL(/logy=loss/);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(loss.getByTestId('smoothing')).toBeFocused();
  await page.keyboard.press('End');
  await expect(loss).toHaveAttribute('data-smoothing', '0.99');
  await page.keyboard.press('ArrowLeft');
  await expect(page).toHaveURL(/smooth=loss%3A0\.98/);
  await page.keyboard.press('Home');
  await expect(loss).toHaveAttribute('data-smoothing', '0');
  await expect(loss.locator('path.series-smoothed')).toHaveCount(0);
  await expect(loss.getByTestId('band')).toBeDisabled();
  for (let i = 0; i < 3; i++) await page.keyboard.press('ArrowRight');
  await expect(loss).toHaveAttribute('data-smoothing', '0.03');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Space');
  await expect(loss.locator('[data-testid=series-band]')).toHaveCount(1);
  await expect(page).toHaveURL(/band=loss/);

  // The URL reopens the same picture.
  await page.reload();
  const again = chart(page, 'loss');
  await expect(again).toHaveAttribute('data-smoothing', '0.03');
  await expect(again).toHaveAttribute('data-logy', 'true');
  await expect(again).toHaveAttribute('data-band', 'true');
  await expect.poll(() => ticks(again, 'y')).toEqual(['0.1', '1', '10']);
});

test('the figure export carries the log axis, the smoothed line and how it was drawn', async ({ page }) => {
  await page.goto(`/runs/${RUN}?logy=loss&smooth=loss:0.5&band=loss`);
  const loss = chart(page, 'loss');
  await expect(loss.locator('path.series-smoothed')).toHaveCount(1);
  await loss.getByTestId('export-menu').locator('summary').click();
  const [download] = await Promise.all([page.waitForEvent('download'), loss.locator('[data-format=svg]').click()]);
  const svg = await readFile((await download.path())!, 'utf8');
  expect(svg).toContain('step · EMA 0.5 (raw faint, band)');
  expect(svg).toContain('loss (log)');
  for (const t of ['>0.1<', '>1<', '>10<']) expect(svg).toContain(t);
  // Band, raw and smoothed paths; the menus are not part of the figure.
  expect((svg.match(/<path /g) ?? []).length).toBeGreaterThanOrEqual(3);
  expect(svg).not.toContain('smoothing</label>');
  await loss.getByTestId('export-menu').locator('summary').click();
  const [csv] = await Promise.all([page.waitForEvent('download'), loss.locator('[data-format=csv]').click()]);
  const rows = (await readFile((await csv.path())!, 'utf8')).trim().split('\r\n');
  expect(rows).toContain('loss (EMA 0.5),40,1.0666666666666667');
});

test('the chart menus pass axe in both themes', async ({ page }, testInfo) => {
  await page.goto(`/runs/${RUN}?logy=margin&smooth=loss:0.6&band=loss`);
  await expect(chart(page, 'margin').getByTestId('log-dropped')).toBeVisible();
  await chart(page, 'loss').getByTestId('chart-view-menu').locator('summary').click();
  await expectAccessible(page, testInfo, 'scalar-charts-light');
  await shoot(page, testInfo, 'scalar-charts-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'scalar-charts-dark');
  await shoot(page, testInfo, 'scalar-charts-dark');
});
