/**
 * Issue 20 (4): compare three simulated runs — scalars overlaid one colour each (with the charts' smoothing and log
 * axes from the URL), which run's layers settled first (checked against the server's convergence grids), the config
 * keys that differ, the layer × layer matrix of a chosen pair, the run list in the URL, the limit of eight, axe.
 */
import { expect, test, type Page } from '@playwright/test';
import { LiveClient } from '../../clients/node/live-client';
import type { ConvergenceGrid } from '../../lib/protocol/analysis';
import { expectAccessible, shoot } from './helpers';
import { simulate } from './simulate';

const PLAN = [
  { seed: 31, checkpoints: 6 },
  { seed: 32, checkpoints: 8 },
  { seed: 33, checkpoints: 10 },
];
let ids: string[] = [];

test.beforeAll(async () => {
  ids = [];
  for (const [i, p] of PLAN.entries()) {
    const sim = simulate({ ...p, layers: 3, units: 16, examples: 120, interval: 20, probeSeed: 7, name: `many ${String.fromCharCode(65 + i)}` });
    ids.push(await sim.runId);
    expect(await sim.done).toBe(0);
  }
});

/** The server's svcca-k grid of a run once complete (every cell computed), else null. */
async function completeGrid(id: string): Promise<ConvergenceGrid | null> {
  const client = await LiveClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/live`, validate: false });
  try {
    client.subscribe(`run:${id}`);
    const snap = (await client.waitFor((m) => m.type === 'snapshot' && m.topic === `run:${id}`)) as {
      run?: { meta: { status: string }; analysis?: { convergence?: { grids: Record<string, ConvergenceGrid> } } };
    };
    const grid = snap.run?.analysis?.convergence?.grids['svcca-k'];
    return grid && grid.pending === 0 && snap.run?.meta.status === 'finished' ? grid : null;
  } finally {
    client.ws.close();
  }
}

/** Per layer, the step from which it stays ≥ 0.95 to its run's reference (strictly before the reference), else null. */
function settledSteps(grid: ConvergenceGrid): Record<string, number | null> {
  const ref = grid.reference === null ? grid.steps.length - 1 : grid.steps.indexOf(grid.reference);
  return Object.fromEntries(
    grid.layers.map((layer, l) => {
      let from = -1;
      for (let c = 0; c <= ref; c++) {
        const v = grid.toNewest[l][c];
        if (v === null) continue;
        from = v >= 0.95 ? (from < 0 ? c : from) : -1;
      }
      return [layer, from >= 0 && from < ref ? grid.steps[from] : null];
    }),
  );
}

const cellsOf = (page: Page, layer: string) =>
  page
    .getByTestId('compare-settling')
    .locator(`tr[data-layer="${layer}"] td`)
    .evaluateAll((tds) =>
      tds.map((td) => ({ run: td.getAttribute('data-run'), settled: td.getAttribute('data-settled'), first: td.getAttribute('data-first') })),
    );

test('three runs: overlaid scalars, settled layers against the server, config diff, a chosen pair, URL', async ({ page }, testInfo) => {
  await page.goto(`/compare?runs=${ids.join(',')}&smooth=loss:0.6&logy=loss`);
  await expect(page.getByTestId('compare-runs')).toHaveAttribute('data-count', '3');
  const loss = page.getByTestId('compare-scalar-loss');
  await expect(loss).toHaveAttribute('data-series', '3');
  await expect(loss).toHaveAttribute('data-smoothing', '0.6');
  await expect(loss).toHaveAttribute('data-logy', 'true');
  await expect(loss.locator('path.series-smoothed')).toHaveCount(3);
  await expect(loss.locator('.legend li')).toHaveText(['many A', 'many B', 'many C']);
  // One colour per run, the same in the legend and the lines.
  const colours = await loss.locator('path.series-smoothed').evaluateAll((ps) => ps.map((p) => p.getAttribute('stroke')));
  expect(new Set(colours).size).toBe(3);

  // Which run's layers settled first: the page's steps are the server's, the earliest marked.
  const grids = await Promise.all(
    ids.map(async (id) => {
      let grid: ConvergenceGrid | null = null;
      await expect.poll(async () => (grid = await completeGrid(id)) !== null, { timeout: 60_000 }).toBe(true);
      return grid!;
    }),
  );
  const truth = grids.map(settledSteps);
  for (const layer of grids[0].layers) {
    const steps = truth.map((t) => t[layer] ?? null);
    const best = Math.min(...steps.filter((s): s is number => s !== null));
    const expected = ids.map((run, i) => ({ run, settled: steps[i] === null ? '' : String(steps[i]), first: String(steps[i] !== null && steps[i] === best) }));
    await expect.poll(() => cellsOf(page, layer), { timeout: 30_000 }).toEqual(expected);
  }

  // Config: only the keys that differ (seed, checkpoints), with each run's value.
  const diff = page.getByTestId('config-diff');
  await expect(diff.locator('tr[data-key="seed"] td')).toHaveText(PLAN.map((p) => String(p.seed)));
  await expect(diff.locator('tr[data-key="checkpoints"] td')).toHaveText(PLAN.map((p) => String(p.checkpoints)));
  for (const same of ['units', 'layers', 'examples', 'simulated']) await expect(diff.locator(`tr[data-key="${same}"]`)).toHaveCount(0);

  // The layer × layer matrix between a chosen pair: A against C.
  await page.getByTestId('compare-b').selectOption(ids[2]);
  await expect(page).toHaveURL(new RegExp(`pair=${ids[0]}%2C${ids[2]}`));
  const matrix = page.getByTestId('compare-matrix');
  await expect(matrix).toHaveAttribute('data-state', 'ready', { timeout: 30_000 });
  await expect(matrix.locator('figcaption')).toContainText(/many A @ \S+ vs many C @/);

  // Remove a run with the keyboard; the URL follows; add it back.
  await page.getByRole('button', { name: 'Remove many B from the comparison' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByTestId('compare-runs')).toHaveAttribute('data-count', '2');
  await expect(page).toHaveURL(new RegExp(`runs=${ids[0]}%2C${ids[2]}(&|$)`));
  await expect(loss).toHaveAttribute('data-series', '2');
  await page.getByTestId('compare-add').selectOption(ids[1]);
  await expect(page).toHaveURL(new RegExp(`runs=${ids[0]}%2C${ids[2]}%2C${ids[1]}(&|$)`));
  await expect(loss).toHaveAttribute('data-series', '3');

  // A chart setting changed here lands in the URL too.
  await loss.getByTestId('chart-view-menu').locator('summary').click();
  await loss.getByTestId('log-x').check();
  await expect(page).toHaveURL(/logx=loss/);
  await page.mouse.move(0, 0);
  await shoot(page, testInfo, 'compare-three');
});

test('more than eight runs: the first eight are shown and the page says which were left out', async ({ page }) => {
  const extra = Array.from({ length: 6 }, (_, i) => `no-such-run-${i}`);
  await page.goto(`/compare?runs=${[...ids, ...extra].join(',')},Not%20an%20id`);
  await expect(page.getByTestId('compare-runs')).toHaveAttribute('data-count', '8');
  await expect(page.getByTestId('compare-limit')).toHaveText(/at most 8 runs; left out: no-such-run-5\. Not run ids, ignored: "Not an id"\./);
  await expect(page.getByTestId('compare-add')).toBeDisabled();
  await expect(page.getByTestId('compare-full')).toBeVisible();
});

test('the compare page passes axe in both themes', async ({ page }, testInfo) => {
  await page.goto(`/compare?runs=${ids.join(',')}&smooth=loss:0.6&band=loss`);
  await expect(page.getByTestId('compare-scalar-loss').locator('path.series-smoothed')).toHaveCount(3);
  await expect(page.getByTestId('config-diff').locator('tr[data-key="seed"]')).toHaveCount(1);
  await expectAccessible(page, testInfo, 'compare-light');
  await page.emulateMedia({ colorScheme: 'dark' });
  await expectAccessible(page, testInfo, 'compare-dark');
  await shoot(page, testInfo, 'compare-dark');
});
