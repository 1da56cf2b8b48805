import assert from 'node:assert/strict';
import { test } from 'node:test';
import { interpolateViridis } from 'd3';
import { luminance, readableOn } from '../../../lib/chart/colour';

const contrast = (a: number, b: number) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);

test('text on every viridis shade meets WCAG AA contrast (4.5:1)', () => {
  assert.equal(readableOn('#ffffff'), '#000');
  assert.equal(readableOn('#000000'), '#fff');
  for (let i = 0; i <= 100; i++) {
    const bg = interpolateViridis(i / 100);
    const text = readableOn(bg) === '#000' ? 0 : 1;
    assert.ok(contrast(luminance(bg), text) >= 4.5, `${bg} at ${i / 100}: ${contrast(luminance(bg), text).toFixed(2)}`);
  }
});
