/** server/series: min/max-decimated views keep the extremes, the nulls, the first and last points, and say how many they stand for. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { GrowableSeries } from '../../../server/runs/series';

function build(n: number, value: (i: number) => number | null): GrowableSeries {
  const s = new GrowableSeries();
  for (let i = 0; i < n; i++) s.push(i * 10, value(i));
  return s;
}

it('returns short series whole, without total', () => {
  const s = build(100, (i) => i);
  const v = s.view(4096);
  assert.equal(v.steps.length, 100);
  assert.equal(v.total, undefined);
  assert.deepEqual(v, s.toWire());
});

it('decimates a million points to at most maxPoints, keeping extremes, nulls and the ends', () => {
  const n = 1_000_000;
  const s = build(n, (i) => (i === 123_456 ? null : i === 777_777 ? 1e6 : i === 500_001 ? -1e6 : Math.sin(i / 1000)));
  const v = s.view(4096);
  assert.ok(v.steps.length <= 4096 && v.steps.length > 2000, `${v.steps.length} points`);
  assert.equal(v.total, n);
  assert.equal(v.steps[0], 0);
  assert.equal(v.steps.at(-1), (n - 1) * 10);
  for (let i = 1; i < v.steps.length; i++) assert.ok(v.steps[i] > v.steps[i - 1], 'steps ascend');
  assert.ok(v.values.includes(1e6) && v.values.includes(-1e6));
  assert.equal(v.values[v.steps.indexOf(123_456 * 10)], null);
});

it('answers a step range, inclusive at both ends', () => {
  const s = build(1000, (i) => i);
  const v = s.view(1000, 100, 200);
  assert.deepEqual(v.steps, [100, 110, 120, 130, 140, 150, 160, 170, 180, 190, 200]);
  const d = s.view(7, 0, 9990);
  assert.ok(d.steps.length <= 7);
  assert.equal(d.total, 1000);
});
