/** Per-chart settings in the URL: round trip for any scalar name, clamping, defaults left out. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeChart, parseChartParams, withChart, writeChartParams } from '../../../lib/chart/chart-settings';

describe('chart settings in the URL', () => {
  it('round-trips names with commas, colons and spaces, and keeps other parameters', () => {
    let map = withChart({}, 'val:loss, top-1', { logY: true, smoothing: 0.6, band: true });
    map = withChart(map, 'lr', { logX: true, logY: true });
    const q = new URLSearchParams('step=300&metric=cka');
    writeChartParams(q, map);
    assert.equal(q.get('step'), '300');
    assert.deepEqual(q.getAll('logy'), ['lr', 'val:loss, top-1']);
    assert.deepEqual(q.getAll('smooth'), ['val:loss, top-1:0.6']);
    assert.deepEqual(parseChartParams(new URLSearchParams(q.toString())), map);
  });

  it('clamps weights, ignores bad ones and drops charts back at the defaults', () => {
    const map = parseChartParams(new URLSearchParams('smooth=loss:7&smooth=acc:abc&smooth=:0.5&logx='));
    assert.deepEqual(Object.keys(map), ['loss']);
    assert.equal(map.loss.smoothing, 0.99);
    assert.deepEqual(withChart(map, 'loss', { smoothing: 0 }), {});
    const q = new URLSearchParams('logx=old');
    writeChartParams(q, {});
    assert.equal(q.toString(), '');
  });

  it('describes what is on', () => {
    assert.equal(describeChart({ logX: false, logY: true, smoothing: 0.6, band: true }), 'EMA 0.6 with min/max band · log y');
    assert.equal(describeChart({ logX: true, logY: false, smoothing: 0, band: true }), 'log x');
    assert.equal(describeChart({ logX: false, logY: false, smoothing: 0, band: false }), '');
  });
});
