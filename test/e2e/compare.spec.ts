/** Issue 6: the comparison of two simulated runs — the layer × layer matrix with its chance baseline, and the scalars overlaid, while one still trains. */
import { expect, test } from '@playwright/test';
import { shoot } from './helpers';
import { simulate } from './simulate';

test('two simulated runs: the matrix between their layers and their overlaid scalars render, live and finished', async ({ page }, testInfo) => {
  // One seed for both: the simulator derives its probe labels from the seed, and runs are only compared on one probe set.
  // The runs still differ (6 vs 16 checkpoints: different settling points and steps).
  const common = { layers: 3, units: 24, examples: 200, seed: 21 };
  const a = simulate({ ...common, checkpoints: 6, interval: 30, name: 'compare A' });
  const idA = await a.runId;
  await a.done;
  // B is held after 4 checkpoints (past step 300) until the page shows it, so that it is still training there.
  const b = simulate({ ...common, checkpoints: 16, interval: 300, name: 'compare B', holdAt: 4 });
  const idB = await b.runId;
  await b.held;

  await page.goto(`/compare?a=${idA}&b=${idB}`);
  const loss = page.getByTestId('compare-scalar-loss');
  await expect(loss).toHaveAttribute('data-series', '2');
  const points = async () => Number(await loss.getAttribute('data-points'));
  const first = await points();
  const matrix = page.getByTestId('compare-matrix');
  await expect(matrix).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  // Three hidden layers plus the logits on each side.
  await expect(matrix).toHaveAttribute('data-rows', '4');
  await expect(matrix).toHaveAttribute('data-cols', '4');
  const cells = matrix.locator('rect[data-a]');
  await expect(cells).toHaveCount(16);
  const values = await cells.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-value')));
  expect(values.filter((v) => v !== '' && Number(v) >= 0 && Number(v) <= 1 + 1e-9).length).toBe(16);
  await expect(matrix.getByTestId('chance-mark')).toBeVisible();
  await expect(page.getByTestId('compare-same-layers').locator('tbody tr')).toHaveCount(4);

  // Hovering a cell reads it out.
  await cells.first().hover();
  await expect(page.getByTestId('compare-matrix-readout')).toContainText('×');

  // Scalars of both runs overlaid; run B is still training, so its line grows.
  b.release();
  await expect.poll(points, { timeout: 20_000 }).toBeGreaterThan(first);
  expect(await b.done, String(b.error())).toBe(0);

  // A matched step: both runs have step 300.
  await page.getByTestId('compare-step').selectOption('300');
  await expect(page).toHaveURL(/step=300/);
  await expect(matrix).toHaveAttribute('data-state', 'ready');
  await expect(matrix).toContainText('@ 300 vs');
  await expect(page.getByTestId('compare-matrix').locator('figcaption')).toContainText(/@ 300 vs .* @ 300/);
  await page.mouse.move(0, 0);
  await shoot(page, testInfo, 'compare');
});
