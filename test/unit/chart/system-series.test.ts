/** The System panel's grouping and wall-clock axis; the Training panel's per-rank charts; the runtime line. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scalarGroups } from '../../../lib/chart/scalar-groups';
import { seriesFrom } from '../../../lib/chart/series-buffer';
import { firstTime, isSystemSeries, systemCharts, timeSeriesFor, wallSeconds, wallUnit } from '../../../lib/chart/system-series';
import { describeRuntime, runtimeOf } from '../../../lib/chart/runtime';

const NAMES = [
  'loss',
  'system/time',
  'system/cpu_percent',
  'system/rss_mb',
  'system/memory_percent',
  'system/memory_used_mb',
  'system/gpu1/utilization_percent',
  'system/gpu0/utilization_percent',
  'system/gpu0/memory_allocated_mb',
  'system/cpu_percent{rank=1}',
  'system/time{rank=1}',
  'loss{rank=1}',
];

test('system series are grouped into charts, one line per GPU and rank; time and used MiB are not charted', () => {
  const charts = systemCharts(NAMES.filter(isSystemSeries));
  assert.deepEqual(
    charts.map((c) => c.id),
    ['cpu', 'rss', 'memory', 'gpu-util', 'gpu-memory'],
  );
  assert.deepEqual(charts[0].lines, [
    { series: 'system/cpu_percent', label: 'CPU · training process', rank: null },
    { series: 'system/cpu_percent{rank=1}', label: 'rank 1', rank: 1 },
  ]);
  assert.deepEqual(
    charts[3].lines.map((l) => l.label),
    ['GPU 0', 'GPU 1'],
  );
  assert.equal(isSystemSeries('loss{rank=1}'), false);
  assert.equal(timeSeriesFor('system/cpu_percent{rank=1}'), 'system/time{rank=1}');
  assert.equal(timeSeriesFor('system/rss_mb'), 'system/time');
});

test('wall-clock seconds are read off the time series by step, clamped at its ends', () => {
  const time = seriesFrom([10, 20, 40], [1000, 1060, 1120]);
  const out = wallSeconds([5, 10, 15, 30, 40, 50], 6, time, 1000);
  assert.deepEqual([...out], [0, 0, 30, 90, 120, 120]);
  assert.deepEqual(
    [wallUnit(100), wallUnit(600), wallUnit(36_000)].map((u) => u.unit),
    ['s', 'min', 'h'],
  );
  assert.ok(wallSeconds([1], 1, undefined, 0).every(Number.isNaN));
  assert.equal(firstTime([seriesFrom([1], [500]), undefined, seriesFrom([1], [300])]), 300);
  assert.ok(Number.isNaN(firstTime([])));
});

test('the Training panel: one chart per scalar, per-rank series together, no system series', () => {
  assert.deepEqual(scalarGroups(['loss{rank=1}', 'loss{rank=0}', 'acc', 'system/rss_mb']), [
    {
      name: 'loss',
      lines: [
        { series: 'loss{rank=0}', label: 'rank 0' },
        { series: 'loss{rank=1}', label: 'rank 1' },
      ],
    },
    { name: 'acc', lines: [{ series: 'acc', label: 'acc' }] },
  ]);
});

test('the runtime line of the status strip', () => {
  assert.equal(runtimeOf({ lr: 1 }), null);
  assert.equal(runtimeOf(null), null);
  assert.equal(describeRuntime(runtimeOf({ runtime: { world_size: 2, backend: 'gloo', device_types: ['cpu'], gpus: 0 } })!), '2 processes (gloo) · cpu');
  assert.equal(describeRuntime({ world_size: 1, backend: null, device_types: ['cuda'], gpus: 4 }), '1 process · cuda × 4');
});
