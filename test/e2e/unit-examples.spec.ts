/** The unit drawer's top-activating examples: a simulated run sends 8×8 probe images; a planted detector's drawer shows 12 thumbnails. */
import { expect, test } from '@playwright/test';
import { planConcepts, plantedConcept } from '../../lib/sim/concepts';
import { planRun } from '../../lib/sim/synthetic-run';
import { expectAccessible } from './helpers';
import { simulate } from './simulate';

const SIM = { checkpoints: 6, layers: 2, units: 16, examples: 200, seed: 3 };

test('a unit drawer shows its top-activating probe examples as thumbnails', async ({ page }, testInfo) => {
  const sim = simulate({ ...SIM, interval: 50, name: 'unit-examples-e2e' });
  const runId = await sim.runId;
  expect(await sim.done).toBe(0);
  await page.goto(`/runs/${runId}`);
  const raster = page.getByTestId('concept-raster');
  await expect(raster).toHaveAttribute('data-columns', String(SIM.checkpoints), { timeout: 60_000 });
  await expect(raster).toHaveAttribute('data-units', String(SIM.units));

  // The raster shows the deepest hidden layer: open a planted detector's drawer.
  const truth = planConcepts(planRun(SIM));
  const d = truth.detectors.find((x) => x.layer === SIM.layers - 1)!;
  await raster.scrollIntoViewIfNeeded();
  const box = (await raster.locator('canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width * (1 - 0.5 / SIM.checkpoints), box.y + box.height * ((d.unit + 0.5) / SIM.units));
  const drawer = page.getByTestId('unit-history');
  await expect(drawer).toHaveAttribute('data-unit', String(d.unit));

  const examples = drawer.getByTestId('unit-examples');
  await expect(examples).toHaveAttribute('data-state', 'ready');
  const thumbs = examples.getByTestId('unit-example-thumb');
  await expect(thumbs).toHaveCount(12);
  await expect(thumbs.first()).toHaveAttribute('aria-label', /^probe example \d+, .+, activation /);
  await expect(thumbs.first()).toHaveAttribute('width', '8');
  // The planted unit responds to its concept: its top examples all show it.
  const shown = await examples.getByTestId('unit-example').evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-example'))));
  const concept = plantedConcept(truth, d.layer, d.unit, SIM.checkpoints - 1);
  expect(shown.filter((e) => truth.conceptLabels[e].includes(concept)).length).toBeGreaterThanOrEqual(10);
  // Drawn pixels: the canvas is not blank.
  const lit = await thumbs.first().evaluate((c) => {
    const data = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 8, 8).data;
    let s = 0;
    for (let i = 0; i < data.length; i += 4) s += data[i] + data[i + 1] + data[i + 2];
    return s;
  });
  expect(lit).toBeGreaterThan(0);

  await expectAccessible(page, testInfo, 'unit-examples');
  const shot = testInfo.outputPath('unit-examples.png');
  await drawer.screenshot({ path: shot });
  await testInfo.attach('unit-examples', { path: shot, contentType: 'image/png' });
});
