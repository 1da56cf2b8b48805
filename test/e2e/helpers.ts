/** Shared e2e helpers: the accessibility check, screenshots as artifacts, and a /live client for server-side truths. */
import AxeBuilder from '@axe-core/playwright';
import { expect, type Page, type TestInfo } from '@playwright/test';
import { LiveClient } from '../../clients/node/live-client';

/** Fails on serious or critical axe violations, listing them (the full report is attached). */
export async function expectAccessible(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const result = await new AxeBuilder({ page }).analyze();
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  await testInfo.attach(`axe-${name}.json`, { body: JSON.stringify(result.violations, null, 2), contentType: 'application/json' });
  expect(
    bad.map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(' '))
          .join(' | ')}`,
    ),
  ).toEqual([]);
}

/** Saves a full-page screenshot as a test artifact. */
export async function shoot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** Asks the server under test directly (a Node /live client): the data the page should show. */
export async function ask<T>(what: string, run: string, params: Record<string, string | number | boolean>): Promise<T> {
  const client = await LiveClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/live`, validate: false });
  try {
    const res = await client.request(what, run, params);
    if (!res.ok) throw new Error(`${what}: ${res.code} ${res.message}`);
    return res.data as T;
  } finally {
    client.ws.close();
  }
}

/** The rows of a hidden heatmap table (convergence-values / reanalysis-values), input side first. */
export async function heatmapTable(page: Page, testId = 'convergence-values') {
  const table = page.getByTestId(testId);
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      layer: tr.getAttribute('data-layer')!,
      order: Number(tr.getAttribute('data-order')),
      cells: [...tr.querySelectorAll('td')].map((td) => ({
        step: Number((td as HTMLElement).dataset.step),
        value: (td as HTMLElement).dataset.value === '' ? null : Number((td as HTMLElement).dataset.value),
      })),
    })),
  );
  return {
    columns: Number(await table.getAttribute('data-columns')),
    reference: await table.getAttribute('data-reference'),
    rows: rows.sort((a, b) => a.order - b.order),
  };
}
