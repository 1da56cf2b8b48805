/** A run sent as sketches: the convergence view says what is exact, approximate or unavailable, and the concepts view why it has nothing for those layers. */
import { expect, test } from '@playwright/test';
import { IngestClient } from '../../clients/node/ingest-client';
import { gaussianMatrix, Rng } from '../../lib/analysis';

test('sketched layers: k capped at K, CKA approximate, PWCCA and concepts not available', async ({ page }) => {
  const [units, m] = [48, 120];
  const trainer = await IngestClient.connect({ url: `ws://127.0.0.1:${process.env.LW_E2E_PORT}/ingest`, run: { name: 'sketched' }, sketch: 8 });
  await trainer.declare(
    [
      { name: 'wide', units },
      { name: 'logits', units: 3, kind: 'logits' },
    ],
    { examples: m, labels: Array.from({ length: m }, (_, i) => i % 3), classNames: ['a', 'b', 'c'] },
  );
  const base = gaussianMatrix(new Rng(1), units, m);
  const logits = gaussianMatrix(new Rng(2), 3, m);
  for (let c = 0; c < 4; c++) {
    await trainer.checkpoint(c * 10, [
      { layer: 'wide', data: Float32Array.from(base, (v, i) => v + 0.2 * c * Math.sin(i)), shape: [units, m] },
      { layer: 'logits', data: Float32Array.from(logits, (v, i) => v + 0.1 * c * Math.cos(i)), shape: [3, m] },
    ]);
  }
  await trainer.end();
  await trainer.close();

  await page.goto(`/runs/${trainer.runId}`);
  const note = page.getByTestId('sketch-note');
  // svcca-k's k is 10 by default, more than the 8 directions sent.
  await expect(note).toContainText('k capped at K = 8 for wide');
  await page.locator('button[data-metric="cka"]').first().click();
  await expect(note).toContainText('Approximate for wide');
  await page.locator('button[data-metric="pwcca"]').first().click();
  await expect(note).toContainText('Not available for wide');
  await expect(page.getByTestId('concepts-sketch-note')).toContainText('No concept statistics for wide');
});
