/** Issue 5: replay shows what live showed, scrubbing shows a step's values, re-analysis sits beside the original, logs download, and a corrupted import changes nothing. */
import { expect, test } from '@playwright/test';
import type { RunSnapshot } from '../../lib/protocol/live';
import { ask, heatmapTable } from './helpers';
import { simulate } from './simulate';

const CHECKPOINTS = 12;

test('a replay ends on the heatmap the live run ended on, and a scrubbed step shows that step', async ({ page }) => {
  const sim = simulate({ checkpoints: CHECKPOINTS, layers: 3, units: 24, examples: 200, interval: 150, seed: 11, name: 'replay e2e', holdAt: 2 });
  const runId = await sim.runId;
  await sim.held;
  await page.goto(`/runs/${runId}`);
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-mode', 'live');
  sim.release();
  expect(await sim.done, String(sim.error())).toBe(0);
  // The end of the live run: finished, backfill done, every cell against the final checkpoint.
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-pending', '0', { timeout: 60_000 });
  const live = await heatmapTable(page);
  // Give the server a moment to close the run's analysis log: a run-at answered before that reads a partial log and
  // caches it (see the report; AnalysisManager.runEnded closes the writer after it stops treating the run as live).
  await page.waitForTimeout(2500);
  expect(live.columns).toBe(CHECKPOINTS);
  expect(live.rows.every((r) => r.cells.every((c) => c.value !== null))).toBe(true);

  // The same page is now a replay: play it from the start as fast as possible.
  const scrubber = page.getByTestId('time-scrubber');
  await expect(scrubber).toHaveAttribute('data-mode', 'replay');
  await page.locator('[data-speed=max]').click();
  await page.getByTestId('play').click();
  await expect(scrubber).toHaveAttribute('data-playing', 'true');
  await expect(scrubber).toHaveAttribute('data-playing', 'false', { timeout: 30_000 });
  await expect(scrubber).toHaveAttribute('data-index', String(CHECKPOINTS - 1));
  await expect(scrubber).toHaveAttribute('data-following', 'false');
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  const replayed = await heatmapTable(page);
  expect(replayed.columns).toBe(live.columns);
  expect(replayed.reference).toBe(live.reference);
  expect(replayed.rows.map((r) => r.layer)).toEqual(live.rows.map((r) => r.layer));
  replayed.rows.forEach((r, l) =>
    r.cells.forEach((c, i) => {
      expect(c.step).toBe(live.rows[l].cells[i].step);
      expect(c.value, `${r.layer} @ ${c.step}`).toBeCloseTo(live.rows[l].cells[i].value!, 9);
    }),
  );

  // Scrub to the 5th checkpoint with the keyboard on the range input.
  const range = scrubber.getByRole('slider');
  await range.focus();
  await page.keyboard.press('Home');
  for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowRight');
  await expect(scrubber).toHaveAttribute('data-index', '4');
  await expect(scrubber).toHaveAttribute('data-frame-load', 'idle');
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-columns', '5');
  const step = Number(await scrubber.getAttribute('data-step'));
  await expect(page).toHaveURL(new RegExp(`step=${step}`));
  const truth = await ask<RunSnapshot>('run-at', runId, { step });
  const grid = truth.analysis!.convergence!.grids['svcca-k']!;
  const shown = await heatmapTable(page);
  expect(shown.columns).toBe(5);
  expect(shown.reference).toBe(String(grid.reference ?? ''));
  shown.rows.forEach((r) =>
    r.cells.forEach((c, i) => {
      const v = grid.toNewest[grid.layers.indexOf(r.layer)][i];
      if (v === null) expect(c.value).toBeNull();
      else expect(c.value).toBeCloseTo(v, 9);
    }),
  );
  await expect(page.getByTestId('scalar-chart-loss')).toHaveAttribute('data-points', String(truth.scalars.loss.steps.length));
  expect(Math.max(...truth.scalars.loss.steps)).toBeLessThanOrEqual(step);

  // Re-analysis with another variance threshold appears beside the original.
  await page
    .getByTestId('panel-convergence')
    .getByRole('button', { name: /Expand/ })
    .click();
  await page.getByTestId('reanalysis-metric').selectOption('svcca');
  await page.getByTestId('reanalysis-threshold').fill('0.9');
  await page.getByTestId('reanalysis').getByRole('button', { name: 'Compute' }).click();
  await expect(page.getByTestId('reanalysis-progress')).toHaveAttribute('data-status', 'done', { timeout: 60_000 });
  await expect(page.getByTestId('reanalysis-figure')).toBeVisible();
  await expect(page.getByTestId('reanalysis-values')).toHaveAttribute('data-pending', '0');
  await expect(page.getByTestId('reanalysis-values')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  await expect(page.getByTestId('convergence-figure')).toBeVisible();

  // The log downloads from the page.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-log').click()]);
  expect(download.suggestedFilename()).toBe(`${runId}.lwlog`);
});

test('dropping a corrupted log shows the error and leaves the run list unchanged', async ({ page, request }) => {
  const sim = simulate({ checkpoints: 4, layers: 2, units: 8, examples: 50, interval: 20, seed: 12, name: 'import source' });
  const runId = await sim.runId;
  await sim.done;
  const log = await (await request.get(`/api/runs/${runId}/log`)).body();
  const corrupted = Buffer.from(log);
  for (let i = Math.floor(corrupted.length / 2); i < Math.floor(corrupted.length / 2) + 64; i++) corrupted[i] ^= 0xa5;

  await page.goto('/');
  await expect(page.getByTestId('runs-table')).toBeVisible();
  const before = await page.locator('[data-testid=run-row]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')).sort());
  const listed = (await (await request.get('/api/runs')).json()).runs.length;

  const dt = await page.evaluateHandle(
    (bytes) => {
      const t = new DataTransfer();
      t.items.add(new File([new Uint8Array(bytes)], 'colleague-run.lwlog', { type: 'application/octet-stream' }));
      return t;
    },
    [...corrupted],
  );
  await page.dispatchEvent('body', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('body', 'drop', { dataTransfer: dt });
  const status = page.getByTestId('import-status');
  await expect(status).toHaveAttribute('data-state', 'error', { timeout: 30_000 });
  await expect(page.getByTestId('import-error-code')).not.toBeEmpty();
  await expect(status).toContainText('Nothing was added');

  await page.waitForTimeout(500); // a run announced by mistake would arrive on the runs topic by now
  const after = await page.locator('[data-testid=run-row]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')).sort());
  expect(after).toEqual(before);
  expect((await (await request.get('/api/runs')).json()).runs.length).toBe(listed);
});
