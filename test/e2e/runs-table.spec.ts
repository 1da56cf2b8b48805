/** Issue 20 items 2 and 3: the overview's table mode (sort, query filter, columns, parallel-coordinates brushing) and tags and notes. */
import { expect, test, type Page } from '@playwright/test';
import { expectAccessible, shoot } from './helpers';
import { plannedRun, seedRuns, type SeededRun } from './seed-runs';

const URL = () => `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`;
let plans: SeededRun[] = [];
const COLS = 'c:lr,c:optimizer,c:seed,s:loss';
const TABLE = `/?view=table&q=hpt&cols=${encodeURIComponent(COLS)}`;

test.beforeAll(async ({ request }) => {
  test.setTimeout(120_000);
  // A retry in a new worker finds the runs stored already.
  plans = (await request.get('/api/runs/hpt-00')).ok() ? Array.from({ length: 12 }, (_, i) => plannedRun('hpt', i)) : await seedRuns(URL(), 'hpt', 12);
});

const rows = (page: Page) => page.getByTestId('hp-row');
const ids = (page: Page) => rows(page).evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')!));
const column = (page: Page, key: string) =>
  rows(page).evaluateAll((trs, k) => trs.map((tr) => tr.querySelector(`td[data-col="${k}"]`)?.textContent ?? ''), key);
const headers = (page: Page) => page.locator('.hp-table thead th[data-col]').evaluateAll((ths) => ths.map((th) => th.getAttribute('data-col')!));
/** Waits until the table shows the server's answer to the current URL (no fixed sleeps). */
const settled = (page: Page) =>
  expect
    .poll(() =>
      page
        .getByTestId('runs-table')
        .getAttribute('data-answered')
        .then((a) => a !== null && !!a),
    )
    .toBe(true);

test('table mode: one row per run with config values as given, sorted by a header, filtered by the query language', async ({ page }) => {
  await page.goto(TABLE);
  await expect(rows(page)).toHaveCount(plans.length);
  expect(await headers(page)).toEqual(['name', 'status', ...COLS.split(',')]);
  // Every config cell is the value the trainer sent.
  const byId = new Map(plans.map((p) => [p.id, p]));
  const lrs = await column(page, 'c:lr');
  (await ids(page)).forEach((id, i) => expect(lrs[i]).toBe(String(byId.get(id)!.config.lr)));

  // Sort by lr: ascending, then descending; the URL keeps it.
  await page.locator('th[data-col="c:lr"] button').click();
  await expect(page.locator('th[data-col="c:lr"]')).toHaveAttribute('aria-sort', 'ascending');
  await expect.poll(() => column(page, 'c:lr')).toEqual(plans.map((p) => String(p.config.lr)).sort((a, b) => Number(a) - Number(b)));
  await page.locator('th[data-col="c:lr"] button').click();
  await expect(page.locator('th[data-col="c:lr"]')).toHaveAttribute('aria-sort', 'descending');
  await expect.poll(() => column(page, 'c:lr')).toEqual(plans.map((p) => String(p.config.lr)).sort((a, b) => Number(b) - Number(a)));
  await expect(page).toHaveURL(/sort=c%3Alr/);

  // The query language: a comparison on a config key, a negation, free text.
  const search = page.getByTestId('run-search');
  await search.fill('hpt lr>0.005');
  await expect
    .poll(async () => (await ids(page)).sort())
    .toEqual(
      plans
        .filter((p) => p.config.lr > 0.005)
        .map((p) => p.id)
        .sort(),
    );
  await search.fill('hpt lr>0.005 -optimizer=adam');
  await expect
    .poll(async () => (await ids(page)).sort())
    .toEqual(
      plans
        .filter((p) => p.config.lr > 0.005 && p.config.optimizer !== 'adam')
        .map((p) => p.id)
        .sort(),
    );
  await search.fill('hpt seed>=10');
  await expect
    .poll(async () => (await ids(page)).sort())
    .toEqual(
      plans
        .filter((p) => p.config.seed >= 10)
        .map((p) => p.id)
        .sort(),
    );
  // The loss column holds each run's last loss, as the run's own meta says.
  const api = (await (await page.request.get(`/api/runs/${plans[10].id}`)).json()) as { run: { latest: { loss: number } } };
  await expect(
    rows(page)
      .filter({ has: page.locator(`[href="/runs/${plans[10].id}"]`) })
      .locator('td[data-col="s:loss"]'),
  ).toHaveAttribute('title', String(api.run.latest.loss));
});

test('columns are chosen and reordered, and stay in the URL', async ({ page }) => {
  await page.goto(TABLE);
  await expect(rows(page)).toHaveCount(plans.length);
  const chooser = page.getByTestId('column-chooser');
  await chooser.locator('summary').click();
  await chooser.getByRole('checkbox', { name: 'seed' }).uncheck();
  await chooser.getByRole('button', { name: 'Move optimizer left' }).click();
  await chooser.getByRole('checkbox', { name: 'width' }).check();
  await expect.poll(() => headers(page)).toEqual(['name', 'status', 'c:optimizer', 'c:lr', 's:loss', 'c:width']);
  await expect(page).toHaveURL(/cols=c%3Aoptimizer%2Cc%3Alr%2Cs%3Aloss%2Cc%3Awidth/);
  await page.reload();
  await expect.poll(() => headers(page)).toEqual(['name', 'status', 'c:optimizer', 'c:lr', 's:loss', 'c:width']);
  expect(new Set(await column(page, 'c:width'))).toEqual(new Set(['8']));
});

test('brushing an axis of the parallel coordinates selects the runs inside the range', async ({ page }) => {
  await page.goto(TABLE);
  await expect(rows(page)).toHaveCount(plans.length);
  const chart = page.getByTestId('parcoords');
  await expect(chart).toHaveAttribute('data-lines', String(plans.length));
  // lr spans 0.001–0.1 on a log axis: the top quarter of it holds only 0.1. Drag up past its end (the brush stops there).
  const overlay = chart.locator('g.brush[data-axis="c:lr"] .overlay');
  const box = (await overlay.boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.25);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2, box.y + box.height * 0.1, { steps: 4 });
  await page.mouse.move(box.x + box.width / 2, box.y - 20, { steps: 4 });
  await page.mouse.up();
  const inside = plans
    .filter((p) => p.config.lr === 0.1)
    .map((p) => p.id)
    .sort();
  await expect.poll(async () => (await ids(page)).sort()).toEqual(inside);
  await expect(chart).toHaveAttribute('data-selected', String(inside.length));
  await expect(chart).toHaveAttribute('data-lines', String(plans.length));
  await expect(page).toHaveURL(/brush=c%3Alr%3A/);
  // The same selection by keyboard: a range typed on the seed axis narrows it further.
  await chart.getByLabel('Axis', { exact: true }).selectOption('c:seed');
  await chart.getByLabel('Range from', { exact: true }).fill('0');
  await chart.getByLabel('Range to', { exact: true }).fill('5');
  await chart.getByRole('button', { name: 'Select range' }).click();
  await expect
    .poll(async () => (await ids(page)).sort())
    .toEqual(
      plans
        .filter((p) => p.config.lr === 0.1 && p.config.seed <= 5)
        .map((p) => p.id)
        .sort(),
    );
  await page.getByTestId('clear-brush').click();
  await expect(rows(page)).toHaveCount(plans.length);
});

test('tags and notes: edited on a row and on the run page, searchable, bad input answered', async ({ page }) => {
  const target = plans[3];
  await page.goto(TABLE);
  const row = rows(page).filter({ has: page.locator(`[href="/runs/${target.id}"]`) });
  await row.getByTestId('tag-edit').click();
  await row.getByTestId('tag-input').fill('baseline  keep');
  await row.getByTestId('tag-save').click();
  await expect(row.getByTestId('tags')).toHaveAttribute('data-tags', 'baseline keep');
  await page.getByTestId('run-search').fill('hpt tag:baseline');
  await expect.poll(() => ids(page)).toEqual([target.id]);

  // A bad tag is refused with the server's code; nothing changes.
  await row.getByTestId('tag-edit').click();
  await row.getByTestId('tag-input').fill('x'.repeat(65));
  await row.getByTestId('tag-save').click();
  await expect(row.getByTestId('tag-error')).toContainText('BAD_TAG');
  await row.getByRole('button', { name: 'Cancel' }).click();
  await expect(row.getByTestId('tags')).toHaveAttribute('data-tags', 'baseline keep');

  // The run page header: the same tags, and notes written there are found by free text.
  await page.goto(`/runs/${target.id}`);
  const head = page.locator('.run-head');
  await expect(head.getByTestId('tags')).toHaveAttribute('data-tags', 'baseline keep');
  await head.getByTestId('tag-edit').click();
  await head.getByTestId('notes-input').fill('lr too high\nsecond line');
  await head.getByTestId('tag-save').click();
  await expect(head.getByTestId('notes')).toHaveText('lr too high');
  await page.goto('/?q=hpt+%22too+high%22');
  await expect.poll(() => page.getByTestId('run-row').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-run')))).toEqual([target.id]);
});

test('table mode is keyboard reachable, themed and axe-clean', async ({ page }, testInfo) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.goto(TABLE);
  await expect(rows(page)).toHaveCount(plans.length);
  await settled(page);
  // Sorting by keyboard: focus a header's button and press Enter.
  await page.locator('th[data-col="c:seed"] button').focus();
  await page.keyboard.press('Enter');
  await expect(page.locator('th[data-col="c:seed"]')).toHaveAttribute('aria-sort', 'ascending');
  await expectAccessible(page, testInfo, 'runs-table-dark');
  await shoot(page, testInfo, 'runs-table-dark');
  await page.emulateMedia({ colorScheme: 'light' });
  await expectAccessible(page, testInfo, 'runs-table-light');
  await shoot(page, testInfo, 'runs-table-light');
});
