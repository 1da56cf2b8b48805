import { chromium } from '@playwright/test';
const port = process.argv[2];
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
await page.goto(`http://127.0.0.1:${port}/compare?runs=digits-mlp-seed0-f80288ce,digits-mlp-seed1-e6c07790,digits-mlp-seed2-7a1a078e&logy=loss&smooth=loss:0.8`);
const fig = page.getByTestId('compare-scalar-loss');
await fig.locator('path.series-smoothed').first().waitFor();
const box = await fig.locator('rect.overlay').boundingBox();
for (let px = 0; px < box.width; px += 2) {
  await page.mouse.move(box.x + px, box.y + box.height / 2);
  const head = await fig.locator('.readout-head').textContent().catch(() => '');
  if (head.trim() === 'step 500') {
    console.log((await fig.locator('.readout').innerText()).replace(/\n/g, ' | '));
    break;
  }
}
await browser.close();
