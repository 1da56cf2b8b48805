/**
 * Issue 15 (4): the replay of a REAL run's exported log reads complete — the digits MLP trains against the e2e server,
 * its log is downloaded as a user would and imported back; a copy without its stored analysis (what exports used to
 * be) is analysed on open, with progress on the page, and ends the same.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect, test, type Page } from '@playwright/test';
import { readRunLog } from '../../server/storage/run-log-reader';
import { RunLogWriter } from '../../server/storage/run-log-writer';
import { heatmapTable, shoot } from './helpers';

const exec = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const ROOT = path.resolve(import.meta.dirname, '../..');
const CHECKPOINTS = 40;

/** Trains the digits MLP (3 epochs, default options otherwise) against the e2e server; returns its run id. */
async function trainDigits(): Promise<string> {
  const { stdout } = await exec(
    PYTHON,
    [path.join(ROOT, 'examples/digits_mlp.py'), '--url', `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`, '--epochs', '3', '--json'],
    {
      timeout: 180_000,
      env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') },
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!).run_id;
}

async function importLog(page: Page, bytes: Buffer, name: string): Promise<string> {
  const res = await page.request.post('/api/import', { data: bytes, headers: { 'x-filename': name, 'content-type': 'application/octet-stream' } });
  expect(res.status(), await res.text()).toBe(200);
  return ((await res.json()) as { run: { id: string } }).run.id;
}

/** The log without its stored analysis (as exports were before), under another run name so it imports beside the first. */
async function withoutAnalysis(bytes: Buffer, name: string): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'lw-e2e-old-'));
  const src = path.join(dir, 'export.lwlog');
  const out = path.join(dir, 'old.lwlog');
  await writeFile(src, bytes);
  const w = await RunLogWriter.open(out);
  let renamed = false;
  for await (const rec of readRunLog(src, { strict: true })) {
    if (rec.kind === 4) continue;
    let payload: Uint8Array | string = rec.payload;
    if (!renamed && rec.kind === 1) {
      const msg = JSON.parse(rec.payload.toString('utf8'));
      if (msg.type === 'hello') {
        msg.run.name = name;
        payload = JSON.stringify(msg);
        renamed = true;
      }
    }
    w.append(rec.kind, payload, rec.time, rec.flags);
  }
  await w.close();
  return readFile(out);
}

/** What a person reads on a complete run page: a full heatmap, settled readings, nothing "not computed", sane axes. */
async function expectComplete(page: Page): Promise<void> {
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  await expect(page.getByTestId('convergence-values')).toHaveAttribute('data-pending', '0');
  const table = await heatmapTable(page);
  expect(table.rows.map((r) => r.layer)).toEqual(['h1', 'h2', 'h3', 'logits']);
  for (const row of table.rows)
    expect(
      row.cells.every((c) => c.value !== null && c.value > 0 && c.value <= 1),
      `${row.layer}: every checkpoint has a value`,
    ).toBe(true);
  await expect(page.getByTestId('convergence-heatmap')).toHaveAttribute('data-columns', String(CHECKPOINTS));
  const heatTicks = await page.getByTestId('convergence-heatmap').locator('.axis text').allTextContents();
  expect(heatTicks).toContain('0');
  expect(
    heatTicks.some((t) => /^1\d\d$/.test(t)),
    `the final step on the heatmap's axis: ${heatTicks.join(' ')}`,
  ).toBe(true);

  const advice = page.getByTestId('advice-panel');
  await expect(advice).toContainText(/\d of 4 layers settled/);
  await expect(page.getByTestId('layer-status').locator('tbody tr')).toHaveCount(4);
  const toRef = await page.getByTestId('layer-status').locator('tbody tr td.num:first-of-type').allTextContents();
  expect(
    toRef.every((t) => Number.isFinite(Number(t))),
    `readings: ${toRef.join(', ')}`,
  ).toBe(true);

  const text = await page.locator('body').innerText();
  expect(text).not.toMatch(/not computed/i);
  expect(text).not.toMatch(/Layer readings appear/);
  expect(text).not.toMatch(/Waiting for the first checkpoints/);
  // The k chart draws k of every layer, on integer ticks only.
  await expect(page.getByTestId('k-chart')).toHaveAttribute('data-series', '4');
  // No axis anywhere on the page repeats a tick label (a step axis over a tiny domain reads "0 0 0 1 1 1").
  for (const axis of await page.locator('svg .axis').all()) {
    const ticks = await axis.locator(':scope > g > text').allTextContents();
    expect(new Set(ticks).size, `tick labels: ${ticks.join(' ')}`).toBe(ticks.length);
  }
}

test('the replay of an exported real run opens complete; the same log without its analysis is analysed on open, with progress', async ({ page }, testInfo) => {
  test.skip(!existsSync(PYTHON), 'no /usr/bin/python3');
  test.setTimeout(300_000);
  const live = await trainDigits();
  await page.goto(`/runs/${live}`);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
  await expectComplete(page);
  const liveTable = await heatmapTable(page);

  // "Download log", as the page offers it.
  const download = await page.request.get((await page.getByTestId('download-log').getAttribute('href')) as string);
  expect(download.status()).toBe(200);
  const exported = Buffer.from(await download.body());

  const replayed = await importLog(page, exported, 'digits.lwlog');
  await page.goto(`/runs/${replayed}`);
  await expect(page.getByTestId('run-page')).toHaveAttribute('data-mode', 'replay');
  await expect(page.getByTestId('analysis-progress')).toHaveCount(0);
  await expectComplete(page);
  const table = await heatmapTable(page);
  table.rows.forEach((r, l) => r.cells.forEach((c, i) => expect(c.value, `${r.layer} @ ${c.step}`).toBe(liveTable.rows[l].cells[i].value)));
  await shoot(page, testInfo, 'replay-exported-real-run');

  const old = await importLog(page, await withoutAnalysis(exported, 'digits old export'), 'old.lwlog');
  await page.goto(`/runs/${old}`);
  // Either the progress bar is up, or the analysis already finished while the page loaded.
  const progress = page.getByTestId('analysis-progress');
  if (await progress.count()) {
    await expect(progress).toContainText(/Analysing the stored activations|Reading the log/);
    await shoot(page, testInfo, 'replay-old-export-analysing');
  }
  await expect(progress).toHaveCount(0, { timeout: 180_000 });
  await expectComplete(page);
  const analysed = await heatmapTable(page);
  analysed.rows.forEach((r, l) => r.cells.forEach((c, i) => expect(c.value, `${r.layer} @ ${c.step}`).toBe(liveTable.rows[l].cells[i].value)));
  await shoot(page, testInfo, 'replay-old-export-analysed');
});
