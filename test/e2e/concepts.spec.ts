/** Issue 3: the emergence chart and the concept raster grow during a simulated run, and clicking a planted detector opens its history. */
import { expect, test } from '@playwright/test';
import { planConcepts, plantedConcept } from '../../lib/sim/concepts';
import { planRun } from '../../lib/sim/synthetic-run';
import { simulate } from './simulate';

const SIM = { checkpoints: 24, layers: 3, units: 32, examples: 500, seed: 2 };

test('concept emergence and the raster grow live; a unit opens its history', async ({ page }, testInfo) => {
  // Held after 2 checkpoints until the page watches it: the rest must arrive live.
  const sim = simulate({ ...SIM, interval: 250, name: 'concepts-e2e', holdAt: 2 });
  const runId = await sim.runId;
  await sim.held;
  await page.goto(`/runs/${runId}`);
  const emergence = page.getByTestId('emergence-chart');
  const raster = page.getByTestId('concept-raster');
  await expect(emergence).toBeVisible();
  await expect(raster).toBeVisible();

  // Record what both views show while the run streams.
  await page.evaluate(() => {
    const seen = { points: [] as number[], columns: [] as number[] };
    (window as unknown as { __concepts: typeof seen }).__concepts = seen;
    const watch = (id: string, attr: string, into: number[]) => {
      const el = document.querySelector(`[data-testid="${id}"]`)!;
      into.push(Number(el.getAttribute(attr)));
      new MutationObserver(() => into.push(Number(el.getAttribute(attr)))).observe(el, { attributes: true, attributeFilter: [attr] });
    };
    watch('emergence-chart', 'data-points', seen.points);
    watch('concept-raster', 'data-columns', seen.columns);
  });
  await expect(page.getByTestId('run-status')).toHaveAttribute('data-status', 'live');
  sim.release();
  expect(await sim.done, String(sim.error())).toBe(0);
  await expect(raster).toHaveAttribute('data-columns', String(SIM.checkpoints), { timeout: 60_000 });
  // Every layer (3 hidden + logits) has a point per checkpoint.
  await expect(emergence).toHaveAttribute('data-points', String(SIM.checkpoints * (SIM.layers + 1)), { timeout: 60_000 });
  const seen = await page.evaluate(() => (window as unknown as { __concepts: { points: number[]; columns: number[] } }).__concepts);
  expect(new Set(seen.columns).size, `raster columns seen: ${seen.columns.join(',')}`).toBeGreaterThan(4);
  expect(new Set(seen.points).size, `emergence points seen: ${seen.points.join(',')}`).toBeGreaterThan(4);
  for (const s of [seen.columns, seen.points]) for (let i = 1; i < s.length; i++) expect(s[i]).toBeGreaterThanOrEqual(s[i - 1]);

  // The raster shows the deepest hidden layer; click a planted detector's row at the newest checkpoint.
  const truth = planConcepts(planRun(SIM));
  const d = truth.detectors.find((x) => x.layer === SIM.layers - 1)!;
  await expect(raster).toHaveAttribute('data-units', String(SIM.units));
  await raster.scrollIntoViewIfNeeded();
  const box = (await raster.locator('canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width * (1 - 0.5 / SIM.checkpoints), box.y + box.height * ((d.unit + 0.5) / SIM.units));
  const drawer = page.getByTestId('unit-history');
  await expect(drawer).toBeVisible();
  await expect(drawer).toHaveAttribute('data-unit', String(d.unit));
  await expect(drawer).toHaveAttribute('data-layer', `layer${SIM.layers}`);
  await expect(drawer.locator('tbody tr')).toHaveCount(SIM.checkpoints);
  const last = plantedConcept(truth, d.layer, d.unit, SIM.checkpoints - 1);
  await expect(drawer.locator('tbody tr').last()).toHaveAttribute('data-best', String(last));
  await expect(drawer).toContainText(truth.concepts[last].name);

  const shot = testInfo.outputPath('concepts.png');
  await page.screenshot({ path: shot, fullPage: true });
  await testInfo.attach('concepts', { path: shot, contentType: 'image/png' });
  await page.keyboard.press('Escape');
  await expect(drawer).toBeHidden();
});
