/**
 * Issue 22: a real Fashion-MNIST CNN run (examples/fashion_cnn.py) read in the browser — Grad-CAM maps arriving live,
 * the concept panel against the server's state, a detector's top examples showing its garment group, then the replay:
 * the scrubber moves the Grad-CAM maps, the panel works from the keyboard, and the page is axe-clean.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { LiveClient } from '../../clients/node/live-client';
import { ConceptUnits, type ConceptState, type RunMeta } from '../../lib/protocol';
import { expectAccessible, shoot } from './helpers';

const PYTHON = '/usr/bin/python3';
const CHECKPOINTS = 5;
/** Fashion-MNIST classes of each garment group (examples/concepts.py). */
const GROUPS: Record<string, string[]> = {
  tops: ['T-shirt/top', 'Pullover', 'Coat', 'Shirt'],
  footwear: ['Sandal', 'Sneaker', 'Ankle boot'],
  trousers: ['Trouser'],
  dress: ['Dress'],
  bag: ['Bag'],
};

/** Starts the example against the e2e server; resolves with its run id once the run exists, and its exit. */
function train(name: string) {
  const port = process.env.LW_E2E_PORT;
  const child = spawn(
    PYTHON,
    [
      'examples/fashion_cnn.py',
      '--url',
      `ws://127.0.0.1:${port}/ingest`,
      '--name',
      name,
      '--epochs',
      '1',
      '--train-size',
      '1500',
      '--checkpoints',
      String(CHECKPOINTS),
      '--json',
    ],
    {
      env: { ...process.env, PYTHONPATH: path.resolve('clients/python') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const done = new Promise<string>((resolve, reject) =>
    child.once('exit', (code) => (code === 0 ? resolve(output) : reject(new Error(`fashion_cnn.py exited ${code}:\n${output}`)))),
  );
  return { done };
}

/** The run id of the first run named `name` the server announces. */
async function runNamed(name: string): Promise<string> {
  const live = await LiveClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/live`, validate: false });
  try {
    const found = (runs: RunMeta[] | undefined) => runs?.find((r) => r.name === name)?.id;
    const first = live.waitFor(
      (m) => (m.type === 'snapshot' && Boolean(found(m.runs))) || (m.type === 'delta' && m.runs?.kind === 'run' && m.runs.meta.name === name),
      120_000,
    );
    live.subscribe('runs');
    const m = await first;
    return m.type === 'snapshot' ? found(m.runs)! : (m as { runs: { meta: RunMeta } }).runs.meta.id;
  } finally {
    live.close();
  }
}

/** The server's concept state of a run (its snapshot). */
async function conceptState(runId: string): Promise<ConceptState> {
  const live = await LiveClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/live`, validate: false });
  try {
    const snap = live.waitFor((m) => m.type === 'snapshot' && m.topic === `run:${runId}`);
    live.subscribe(`run:${runId}`);
    return ((await snap) as { run: { analysis: { concepts: ConceptState } } }).run.analysis.concepts;
  } finally {
    live.close();
  }
}

/** The per-unit values of one layer at every computed step (the `concept-units` request, as the raster asks). */
async function conceptUnits(runId: string, layer: string): Promise<ConceptUnits> {
  const live = await LiveClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/live`, validate: false });
  try {
    const res = await live.request('concept-units', runId, { layer });
    expect(res.ok, `concept-units: ${res.code} ${res.message}`).toBe(true);
    return ConceptUnits.parse(res.data);
  } finally {
    live.close();
  }
}

const firstCanvas = (page: Page) =>
  page
    .getByTestId('gradcam-canvas')
    .first()
    .evaluate((c) => (c as HTMLCanvasElement).toDataURL());

test('a real run: Grad-CAM live and in replay, concepts as the server computed them', async ({ page }, testInfo) => {
  test.skip(!existsSync(PYTHON), 'no /usr/bin/python3');
  test.setTimeout(420_000);
  const run = train('fashion-e2e');
  const runId = await runNamed('fashion-e2e');
  await page.goto(`/runs/${runId}`);

  // Live: the panel appears with the first maps and follows the new checkpoints.
  const panel = page.getByTestId('gradcam-panel');
  await expect(panel).toBeVisible({ timeout: 180_000 });
  await run.done;
  await expect(panel).toHaveAttribute('data-steps', String(CHECKPOINTS), { timeout: 60_000 });
  await expect(page.getByTestId('gradcam-example')).toHaveCount(16);
  await expect(page.getByTestId('gradcam-canvas').first()).toHaveAttribute('aria-label', /probe example \d+: .+, predicted .+; map for .+, peak/);

  // Concepts: every layer's unique detectors as the server has them, a raster column per checkpoint.
  const emergence = page.getByTestId('emergence-chart');
  await expect(emergence).toHaveAttribute('data-points', String(CHECKPOINTS * 4), { timeout: 60_000 }); // conv1, conv2, fc, logits
  const state = await conceptState(runId);
  expect(state.layers).toEqual(['conv1', 'conv2', 'fc', 'logits']);
  for (const [l, layer] of state.layers.entries()) {
    await expect(emergence.locator(`[data-layer="${layer}"]`)).toHaveAttribute('data-unique', String(state.cells[l].at(-1)!.unique));
  }
  await page.getByRole('button', { name: 'Expand Concepts' }).click();
  const raster = page.getByTestId('concept-raster');
  await expect(raster).toHaveAttribute('data-columns', String(CHECKPOINTS));
  await shoot(page, testInfo, 'real-run-concepts');

  // A detector of a garment group in fc: its top-activating examples in the drawer mostly belong to the group.
  const fc = state.layers.indexOf('fc');
  const values = await conceptUnits(runId, 'fc');
  const best = values.best.at(-1)!,
    iou = values.iou.at(-1)!;
  const unit = best.findIndex((b, u) => b >= 0 && iou[u] > state.threshold && state.concepts[b].category === 'object' && state.concepts[b].name !== 'tops');
  expect(unit, 'fc has a detector of a garment group other than tops').toBeGreaterThanOrEqual(0);
  const group = GROUPS[state.concepts[best[unit]].name];
  await page.getByTestId('concept-layer').selectOption(String(fc));
  await expect(raster).toHaveAttribute('data-units', String(state.units[fc]));
  const box = (await raster.locator('canvas').boundingBox())!;
  await page.mouse.click(box.x + box.width * (1 - 0.5 / CHECKPOINTS), box.y + box.height * ((unit + 0.5) / state.units[fc]));
  const drawer = page.getByTestId('unit-history');
  await expect(drawer).toHaveAttribute('data-unit', String(unit));
  const thumbs = page.getByTestId('unit-example-thumb');
  await expect(thumbs).toHaveCount(12);
  const labels = await thumbs.evaluateAll((els) => els.map((e) => e.getAttribute('aria-label') ?? ''));
  const inGroup = labels.filter((l) => group.some((g) => l.includes(`, ${g},`))).length;
  expect(inGroup, `${state.concepts[best[unit]].name} among the top 12: ${labels.join(' | ')}`).toBeGreaterThanOrEqual(6);
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Collapse Concepts' }).click();

  // Replay: Home shows the first checkpoint's maps, End the last; the maps differ.
  await page.reload();
  await expect(panel).toHaveAttribute('data-steps', String(CHECKPOINTS));
  await page.locator('body').click({ position: { x: 5, y: 5 } });
  await page.keyboard.press('Home');
  await expect(panel).toHaveAttribute('data-step', '0');
  await expect(panel).toHaveAttribute('data-state', 'ready');
  const early = await firstCanvas(page);
  await panel.scrollIntoViewIfNeeded();
  await shoot(page, testInfo, 'real-run-gradcam-first');
  await page.keyboard.press('End');
  await expect(panel).not.toHaveAttribute('data-step', '0');
  await expect(panel).toHaveAttribute('data-state', 'ready');
  expect(await firstCanvas(page)).not.toBe(early);
  // A map that is 0 everywhere says so instead of showing a bare image.
  await expect(page.getByTestId('gradcam-no-evidence')).toHaveCount(await page.locator('[data-testid="gradcam-example"][data-peak="0"]').count());
  await shoot(page, testInfo, 'real-run-gradcam-last');

  // From the keyboard: the class the maps explain, and the opacity.
  await page.getByRole('radio', { name: 'true class' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(panel).toHaveAttribute('data-target', '1');
  await expect(page.getByRole('radio', { name: 'predicted class' })).toBeChecked();
  await expectAccessible(page, testInfo, 'real-run');
});
