/** Issue 9: the runs overview over 50 stored runs — search, status filter, sort, URL, live group, selection to compare, theme, accessibility, screenshots. */
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, shoot } from './helpers';
import { seedRuns, startRun, type SeededRun } from './seed-runs';

const URL = () => `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`;
let plans: SeededRun[] = [];

test.beforeAll(async () => {
  test.setTimeout(120_000);
  plans = await seedRuns(URL(), 'sweep', 50);
});

const rows = (page: Page) => page.locator('[data-testid=run-row]');
const ids = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')!));

test('search, status filter and sort over 50 stored runs; the URL keeps them', async ({ page }) => {
  await page.goto('/');
  const search = page.getByTestId('run-search');
  await search.fill('sweep');
  await expect(rows(page)).toHaveCount(50);

  // A config value narrows the list; terms combine.
  await search.fill('sweep optimizer=adam');
  await expect(rows(page)).toHaveCount(plans.filter((p) => p.config.optimizer === 'adam').length);
  await search.fill('sweep lr=0.001 sweep-odd');
  const expected = plans.filter((p) => p.config.lr === 0.001 && p.project === 'sweep-odd').map((p) => p.id);
  await expect(rows(page)).toHaveCount(expected.length);
  expect((await ids(page)).sort()).toEqual(expected.sort());

  // Status filter, with the count of each status among the matches.
  await search.fill('sweep');
  const failed = plans.filter((p) => p.status === 'failed');
  await expect(page.locator('[data-filter=failed] .count')).toHaveText(String(failed.length));
  await page.locator('[data-filter=failed]').click();
  await expect(rows(page)).toHaveCount(failed.length);
  for (const r of await rows(page).all()) await expect(r).toHaveAttribute('data-status', 'failed');
  await page.locator('[data-filter=interrupted]').click();
  await expect(rows(page)).toHaveCount(plans.filter((p) => p.status === 'interrupted').length);
  await page.locator('[data-filter=all]').click();

  // Sort by name, both ways.
  await page.getByTestId('run-sort').selectOption('name');
  await expect.poll(async () => (await ids(page))[0]).toBe('sweep-00');
  // A new answer shows a screenful of rows first and the rest of the page right after.
  await expect.poll(() => ids(page)).toEqual(plans.map((p) => p.id));
  await page.getByTestId('run-sort').selectOption('name-desc');
  await expect.poll(async () => (await ids(page))[0]).toBe('sweep-49');

  // The URL holds the search; a reload restores it.
  await page.locator('[data-filter=finished]').click();
  await expect(page).toHaveURL(/q=sweep/);
  await expect(page).toHaveURL(/status=finished/);
  await expect(page).toHaveURL(/sort=name-desc/);
  await page.reload();
  await expect(page.getByTestId('run-search')).toHaveValue('sweep');
  await expect(page.locator('[data-filter=finished]')).toHaveAttribute('aria-checked', 'true');
  await expect(rows(page)).toHaveCount(plans.filter((p) => p.status === 'finished').length);
  await expect.poll(async () => (await ids(page))[0]).toBe('sweep-49');

  // "/" focuses the search.
  await page.locator('body').click({ position: { x: 5, y: 300 } });
  await page.keyboard.press('/');
  await expect(search).toBeFocused();
});

test('a live run is listed first with a pulse; past rows load a sparkline and a convergence thumbnail', async ({ page }) => {
  const live = await startRun(
    URL(),
    { id: 'trial-live', name: 'trial live', project: 'trials', config: { lr: 0.5, optimizer: 'lamb', seed: 1, width: 8 } },
    2,
    99,
  );
  try {
    await page.goto('/');
    const liveGroup = page.getByTestId('live-group');
    await expect(liveGroup.locator('[data-run=trial-live]')).toBeVisible();
    await expect(liveGroup.locator('[data-run=trial-live] .pulse')).toBeVisible();
    await expect(liveGroup.locator('[data-run=trial-live]')).toContainText(/just now|ago/);
    // Live rows come before past ones.
    expect((await ids(page))[0]).toBe('trial-live');
    const past = page.locator('[data-testid=past-group] [data-testid=run-row]').first();
    await expect(past.locator('.sparkline path')).toHaveAttribute('d', /^M.+L/);
    await expect(past.getByTestId('run-thumb')).toHaveAttribute('data-ready', 'true');
  } finally {
    await live.end('finished');
    await live.close();
  }
  await expect(page.locator('[data-testid=past-group] [data-run=trial-live]')).toBeVisible();
});

test('selecting two to eight runs links to their comparison', async ({ page }) => {
  await page.goto('/?q=sweep&sort=name');
  const compare = page.getByTestId('compare-selected');
  await expect(compare).toBeDisabled();
  await page.getByRole('checkbox', { name: 'Select sweep 03 to compare' }).check();
  await page.getByRole('checkbox', { name: 'Select sweep 05 to compare' }).check();
  await expect(compare).toHaveAttribute('href', '/compare?runs=sweep-03,sweep-05');
  await page.getByRole('checkbox', { name: 'Select sweep 06 to compare' }).check();
  await expect(compare).toHaveAttribute('href', '/compare?runs=sweep-03,sweep-05,sweep-06');
  await expect(compare).toHaveText('Compare 3 runs');
  for (const n of ['07', '08', '09', '10', '11', '12']) await page.getByRole('checkbox', { name: `Select sweep ${n} to compare` }).check();
  await expect(page.getByTestId('compare-selected')).toBeDisabled();
  await expect(page.getByTestId('compare-selected')).toHaveText('Select at most 8 to compare');
});

test('the run list follows the system theme, passes axe and is captured in both themes', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'light' });
  await page.goto('/?q=sweep&sort=name');
  await expect(rows(page)).toHaveCount(50);
  await expect(page.locator('[data-testid=run-thumb][data-ready=true]').first()).toBeVisible();
  const bg = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  expect(await bg()).toBe('rgb(246, 247, 249)');
  await expectAccessible(page, testInfo, 'run-list-light');
  await shoot(page, testInfo, 'run-list-light');
  // Switching the system setting recolours the open page, no reload.
  await page.emulateMedia({ colorScheme: 'dark' });
  await expect.poll(bg).toBe('rgb(15, 18, 22)');
  await expectAccessible(page, testInfo, 'run-list-dark');
  await shoot(page, testInfo, 'run-list-dark');
});
