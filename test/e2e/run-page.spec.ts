/** Issue 9: the run page — one screen at 1440 × 900, keyboard shortcuts, URL round-trip, theme, accessibility, screenshots. */
import { expect, test, type Page } from '@playwright/test';
import { IngestClient } from '../../clients/node/ingest-client';
import { simulateRun } from '../../clients/node/simulate';
import { formatStep } from '../../lib/chart/scales';
import { expectAccessible, shoot } from './helpers';
import { simulate } from './simulate';

const CHECKPOINTS = 14;
let runId = '';

test.beforeAll(async () => {
  const sim = simulate({ checkpoints: CHECKPOINTS, layers: 4, units: 32, examples: 200, interval: 40, seed: 7, name: 'run page e2e' });
  runId = await sim.runId;
  expect(await sim.done).toBe(0);
});

const scrubber = (page: Page) => page.getByTestId('time-scrubber');
const checkedMetric = (page: Page) => page.locator('[aria-label="Similarity metric"] [aria-checked=true]');

/** Waits until the replay frame at `index` is shown. */
async function atFrame(page: Page, index: number) {
  await expect(scrubber(page)).toHaveAttribute('data-index', String(index));
  await expect(scrubber(page)).toHaveAttribute('data-frame-load', 'idle');
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-columns', String(index + 1));
}

test('one screen answers the three questions at 1440 × 900, without scrolling; panels expand', async ({ page }) => {
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-mode', 'replay');
  await expect(page.getByTestId('convergence-heatmap')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  const fits = () => page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight + 1);
  expect(await fits()).toBe(true);
  for (const id of ['panel-convergence', 'panel-scalars', 'panel-concepts', 'panel-advice']) {
    const box = (await page.getByTestId(id).boundingBox())!;
    expect(box.y + box.height, id).toBeLessThanOrEqual(900);
  }
  await expect(page.getByTestId('emergence-chart')).toBeVisible();
  await expect(page.getByTestId('scalar-chart-loss')).toBeVisible();
  // Every chart says what it shows; the paper links are there.
  await expect(page.getByRole('link', { name: /SVCCA, Raghu et al\. 2017/ })).toHaveAttribute('href', 'https://arxiv.org/abs/1706.05806');
  const heights = await page.locator('.frame').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height));
  // Expanding a panel spans the width and shows its details; collapsing restores the screen.
  await page
    .getByTestId('panel-convergence')
    .getByRole('button', { name: /Expand/ })
    .click();
  await expect(page.getByTestId('panel-convergence')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('layer-curves')).toBeVisible();
  await expect(page.getByTestId('reanalysis')).toBeVisible();
  await page
    .getByTestId('panel-convergence')
    .getByRole('button', { name: /Collapse/ })
    .click();
  expect(await fits()).toBe(true);
  expect(await page.locator('.frame').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().height))).toEqual(heights);
});

test('keyboard: ? help, m cycles the metric, ←/→ and Home step, space plays and pauses', async ({ page }) => {
  await page.goto(`/runs/${runId}`);
  await expect(scrubber(page)).toHaveAttribute('data-mode', 'replay');
  await page.locator('h1').click();
  await page.keyboard.press('?');
  await expect(page.getByTestId('help-overlay')).toBeVisible();
  await expect(page.getByTestId('help-overlay')).toContainText('play / pause');
  await page.keyboard.press('Escape');
  await expect(page.getByTestId('help-overlay')).toBeHidden();

  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'svcca-k');
  await page.keyboard.press('m');
  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'cka');
  await page.keyboard.press('m');
  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'svcca');
  await page.keyboard.press('m');
  await page.keyboard.press('m');
  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'svcca-k');

  await page.keyboard.press('Home');
  await atFrame(page, 0);
  await page.keyboard.press('ArrowRight');
  await atFrame(page, 1);
  await page.keyboard.press('ArrowRight');
  await atFrame(page, 2);
  await page.keyboard.press('ArrowLeft');
  await atFrame(page, 1);

  await page.locator('[data-speed=max]').click();
  await page.locator('h1').click();
  await page.keyboard.press(' ');
  await expect(scrubber(page)).toHaveAttribute('data-playing', 'true');
  await expect.poll(async () => Number(await scrubber(page).getAttribute('data-index'))).toBeGreaterThan(1);
  await page.keyboard.press(' ');
  await expect(scrubber(page)).toHaveAttribute('data-playing', 'false');
  // Focus is visible on keyboard navigation.
  await page.keyboard.press('Tab');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
  expect(outline).not.toBe('none');
});

test('the URL holds run, step, metric and open panels, and reopens the same picture', async ({ page }) => {
  await page.goto(`/runs/${runId}?metric=cka&step=400&open=matrix,k`);
  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'cka');
  await atFrame(page, 3);
  await expect(scrubber(page)).toHaveAttribute('data-step', '400');
  await expect(page.getByTestId('panel-matrix')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('panel-k')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('panel-convergence')).toHaveAttribute('data-open', 'false');

  await page.locator('h1').click();
  await page.keyboard.press('ArrowRight');
  await atFrame(page, 4);
  for (let i = 0; i < 3; i++) await page.keyboard.press('m'); // cka → svcca → pwcca → svcca-k
  await page
    .getByTestId('panel-advice')
    .getByRole('button', { name: /Expand/ })
    .click();
  await page
    .getByTestId('panel-k')
    .getByRole('button', { name: /Collapse/ })
    .click();
  await expect(page).toHaveURL(/step=500/);
  await expect(page).toHaveURL(/metric=svcca-k(&|$)/);
  await expect(page).toHaveURL(/open=advice%2Cmatrix(&|$)/);

  await page.reload();
  await expect(checkedMetric(page)).toHaveAttribute('data-metric', 'svcca-k');
  await atFrame(page, 4);
  await expect(page.getByTestId('panel-advice')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('panel-matrix')).toHaveAttribute('data-open', 'true');
  await expect(page.getByTestId('panel-k')).toHaveAttribute('data-open', 'false');

  // Back to the final state: the step leaves the URL.
  await page.getByTestId('follow').click();
  await expect(page).not.toHaveURL(/step=/);
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-columns', String(CHECKPOINTS));
});

test('the run page follows the system theme, passes axe and is captured in both themes', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('convergence-heatmap')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  await expect(page.getByTestId('layer-matrix')).toHaveAttribute('data-state', 'ready');
  const surface = () => page.getByTestId('panel-convergence').evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(await surface()).toBe('rgb(255, 255, 255)');
  await expectAccessible(page, testInfo, 'run-page-light');
  await shoot(page, testInfo, 'run-page-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(surface).toBe('rgb(22, 26, 32)');
  await expectAccessible(page, testInfo, 'run-page-dark');
  await shoot(page, testInfo, 'run-page-dark');
});

test('every chart exports its figure (SVG, PNG) and its numbers (CSV, JSON)', async ({ page }) => {
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('convergence-heatmap')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  const grab = async (menu: ReturnType<Page['locator']>, format: string) => {
    await menu.locator('summary').click();
    const [download] = await Promise.all([page.waitForEvent('download'), menu.locator(`[data-format=${format}]`).click()]);
    const path = await download.path();
    const { readFile } = await import('node:fs/promises');
    return { name: download.suggestedFilename(), text: (await readFile(path)).toString('utf8', 0, 4000) };
  };
  const heatmapMenu = page.getByTestId('panel-convergence').getByTestId('export-menu').first();
  const csv = await grab(heatmapMenu, 'csv');
  expect(csv.name).toBe('convergence-heatmap-svcca-fixed-k.csv');
  expect(csv.text.split('\r\n')[0]).toBe('layer,step,value,k');
  expect(csv.text.split('\r\n').length).toBeGreaterThan(CHECKPOINTS * 5);
  const svg = await grab(heatmapMenu, 'svg');
  expect(svg.text).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  expect(svg.text).toContain('<image');
  const lossMenu = page.getByTestId('scalar-chart-loss').getByTestId('export-menu');
  const json = await grab(lossMenu, 'json');
  expect(Object.keys(JSON.parse(json.text))).toEqual(['loss']);
  const png = await grab(lossMenu, 'png');
  expect(png.name).toBe('loss.png');
  expect(png.text.slice(1, 4)).toBe('PNG');
});

test('advice reads "advised" until the trainer confirms "frozen"; "settled" only before the reference', async ({ page }) => {
  const url = `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`;
  const advised: Array<{ layer: string; step: number }> = [];
  // The simulator's settled layers jitter around their final state: a short horizon lets its planted settling qualify.
  const id = await simulateRun({
    url,
    name: 'advice wording e2e',
    seed: 5,
    layers: 4,
    units: 24,
    examples: 160,
    checkpoints: 24,
    intervalMs: 150,
    options: { advice: { enabled: true, threshold: 0.9, horizon: 1 } },
    onAdvice: (a) => advised.push({ layer: a.layer, step: a.step }),
    noEnd: true,
  });
  expect(advised.length).toBeGreaterThanOrEqual(2);
  // The trainer confirms one freeze only (on a resumed connection, then ends the run).
  const client = await IngestClient.connect({ url, run: { id }, resume: true });
  await client.reportFrozen(advised[0].layer, advised[0].step + 20);
  await client.end();
  await client.close();

  await page.goto(`/runs/${id}`);
  await page
    .getByTestId('panel-advice')
    .getByRole('button', { name: /Expand/ })
    .click();
  const row = (layer: string) => page.getByTestId('layer-status').locator(`tr[data-layer="${layer}"]`);
  await expect(row(advised[0].layer).locator('[data-freeze]')).toHaveText(`frozen @ ${formatStep(advised[0].step + 20)}`);
  await expect(row(advised[1].layer).locator('[data-freeze]')).toHaveText(`advised @ ${formatStep(advised[1].step)}`);
  await expect(page.getByTestId('advice-list').locator(`li[data-layer="${advised[1].layer}"]`)).toContainText('not confirmed frozen by the trainer');
  await expect(page.getByTestId('advice-list').locator(`li[data-layer="${advised[0].layer}"]`)).toContainText(
    `frozen by the trainer at step ${formatStep(advised[0].step + 20)}`,
  );
  await expect(page.getByTestId('frozen')).toHaveText(advised[0].layer);

  // Settled means "from a checkpoint before the reference on": never "since" the final step, and the count agrees.
  const states = await page
    .getByTestId('layer-status')
    .locator('tbody tr')
    .evaluateAll((trs) => trs.map((tr) => ({ state: tr.getAttribute('data-settling'), since: tr.getAttribute('data-settled') })));
  expect(states.length).toBe(5);
  for (const s of states) if (s.state === 'settled') expect(Number(s.since)).toBeLessThan(2400);
  const settled = states.filter((s) => s.state === 'settled').length;
  await expect(page.getByTestId('advice-panel')).toContainText(`${settled} of 5 layers settled`);
});
