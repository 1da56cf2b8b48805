/** Issue 10: the convergence heatmap grows a column per checkpoint and shows the simulator's planted bottom-up order. */
import { expect, test } from '@playwright/test';
import { simulate } from './simulate';

const CHECKPOINTS = 30;

test('the heatmap gains a column per checkpoint and lower layers reach 0.95 first', async ({ page }, testInfo) => {
  // In step with the page, the run takes as long as 28 renders do: seconds here, minutes on a loaded machine.
  test.setTimeout(240_000);
  // Held after 2 checkpoints until the page watches it; then each checkpoint is sent once the page shows the one before
  // (a loaded machine may otherwise fold several checkpoints into one render, which would not show a column each).
  const heatmap = page.getByTestId('convergence-heatmap');
  const pace = (i: number) => expect(heatmap).toHaveAttribute('data-columns', String(i), { timeout: 60_000 });
  const sim = simulate({ checkpoints: CHECKPOINTS, layers: 4, units: 32, examples: 300, interval: 100, seed: 1, holdAt: 2, pace });
  const runId = await sim.runId;
  await sim.held;
  await page.goto(`/runs/${runId}`);
  await expect(heatmap).toBeVisible();

  // Record every column count the heatmap shows while the run streams.
  await heatmap.evaluate((el) => {
    const seen: number[] = [Number(el.getAttribute('data-columns'))];
    (window as unknown as { __columnsSeen: number[] }).__columnsSeen = seen;
    new MutationObserver(() => seen.push(Number(el.getAttribute('data-columns')))).observe(el, { attributes: true, attributeFilter: ['data-columns'] });
  });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'live');
  sim.release();
  expect(await sim.done, String(sim.error())).toBe(0);
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'finished');
  await expect(heatmap).toHaveAttribute('data-columns', String(CHECKPOINTS));
  const seen = await page.evaluate(() => (window as unknown as { __columnsSeen: number[] }).__columnsSeen);
  // Columns only ever grow, mostly one at a time (React may fold two checkpoints into one render when the main thread
  // is busy on this 2-core machine, so a jump of two is tolerated, never a loss).
  const steps = seen.slice(1).map((n, i) => n - seen[i]);
  expect(
    steps.every((d) => d >= 1 && d <= 2),
    `column counts seen: ${seen.join(',')}`,
  ).toBe(true);
  expect(steps.filter((d) => d === 1).length, `column counts seen: ${seen.join(',')}`).toBeGreaterThan(steps.length / 2);
  expect(seen.length).toBeGreaterThan(CHECKPOINTS / 3); // the page watched most of the run arrive

  // Once the run has ended and the backfill is done, every cell compares to the final checkpoint.
  const table = page.getByTestId('convergence-values');
  await expect(table).toHaveAttribute('data-pending', '0', { timeout: 60_000 });
  await expect(table).toHaveAttribute('data-reference', String(CHECKPOINTS * 100));
  const rows = await table.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => ({
      layer: tr.getAttribute('data-layer')!,
      order: Number(tr.getAttribute('data-order')),
      cells: [...tr.querySelectorAll('td')].map((td) => ({ step: Number(td.dataset.step), value: td.dataset.value === '' ? null : Number(td.dataset.value) })),
    })),
  );
  rows.sort((a, b) => a.order - b.order); // input side first
  expect(rows.map((r) => r.layer)).toEqual(['layer1', 'layer2', 'layer3', 'layer4', 'logits']);
  for (const r of rows)
    expect(
      r.cells.every((c) => c.value !== null),
      `${r.layer} fully computed`,
    ).toBe(true);
  const reach = rows.map((r) => ({ layer: r.layer, step: r.cells.find((c) => c.value! >= 0.95)?.step ?? Infinity }));
  testInfo.annotations.push({ type: 'first step ≥ 0.95', description: reach.map((r) => `${r.layer}@${r.step}`).join(' ') });
  // The planted order is over the hidden layers (settling at 15%…75% of the run). The 10-unit logits layer drifts
  // smoothly towards its final state and can cross 0.95 before its planted point, so it only has to come after layer1.
  const hidden = reach.filter((r) => r.layer !== 'logits');
  for (let i = 1; i < hidden.length; i++) expect(hidden[i].step, `${hidden[i - 1].layer} before ${hidden[i].layer}`).toBeGreaterThan(hidden[i - 1].step);
  expect(reach.find((r) => r.layer === 'logits')!.step).toBeGreaterThan(hidden[0].step);

  // The hover readout shows the same value as the table for a cell.
  const box = (await page.locator('.heatmap-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width * (0.5 / CHECKPOINTS), box.y + box.height * (1 - 0.5 / rows.length));
  const readout = page.getByTestId('convergence-heatmap-readout');
  await expect(readout).toContainText('layer1');
  await expect(readout).toContainText('step 100');
  const value = Number(await readout.locator('[data-value]').first().getAttribute('data-value'));
  expect(value).toBeCloseTo(rows[0].cells[0].value!, 6);

  await page.mouse.move(0, 0);
  const shot = testInfo.outputPath('convergence.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('convergence', { path: shot, contentType: 'image/png' });
});
