/** The run page's store: a pinned replay frame against incoming deltas, and the carry-over after a reference change. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLayerwatchStore } from '@/store/create-store';
import { grid, snapshot } from './fixtures';

test('a pinned replay frame is not moved by incoming deltas; the timeline still follows the run', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().openRun('r');
  s().applyRunSnapshot('r', snapshot('r', [10, 20, 30]), 5_000);
  assert.deepEqual(s().run.steps, [10, 20, 30]);

  s().applyFrame('r', 1, snapshot('r', [10, 20]));
  assert.equal(s().timeline.frame, 1);
  assert.deepEqual(s().run.steps, [10, 20], 'the views show the frame');

  s().applyRunDelta('r', { kind: 'checkpoint', step: 40, time: 1_040 }, 6_000);
  s().applyRunDelta('r', { kind: 'scalars', series: { loss: { steps: [40], values: [0.01] } } }, 6_000);
  s().applyRunDelta('r', { kind: 'warning', warning: { code: 'X', message: 'later' } }, 6_000);
  s().applyRunDelta('r', { kind: 'convergence', patch: { metric: 'svcca-k', addSteps: [40], cells: [{ l: 0, c: 3, toNewest: 0.9 }] } }, 6_000);

  assert.deepEqual(s().run.steps, [10, 20], 'the frame stays as it was');
  assert.equal(s().run.scalars.loss.length, 2, 'no scalar of a later step leaks into the frame');
  assert.deepEqual(s().run.warnings, []);
  assert.deepEqual(s().convergence.grids['svcca-k']!.steps, [10, 20], 'the frame grid is not patched');
  assert.deepEqual(s().timeline.steps, [10, 20, 30, 40], 'the timeline knows the new checkpoint');
  assert.equal(s().timeline.meta!.lastStep, 40);

  // A new snapshot of the topic (e.g. after a reconnect) updates the timeline but keeps the pinned frame.
  s().applyRunSnapshot('r', snapshot('r', [10, 20, 30, 40, 50]), 7_000);
  assert.deepEqual(s().run.steps, [10, 20]);
  assert.deepEqual(s().timeline.steps, [10, 20, 30, 40, 50]);
});

test('deltas for another run than the open one change nothing', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().openRun('a');
  s().applyRunSnapshot('a', snapshot('a', [1, 2]), 0);
  const before = s().run;
  s().applyRunDelta('b', { kind: 'checkpoint', step: 3, time: 3 }, 0);
  s().applyRunSnapshot('b', snapshot('b', [7]), 0);
  assert.equal(s().run, before);
});

test('live deltas append to the open run: checkpoint, latency, scalars in place, warnings bounded', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().openRun('r');
  s().applyRunSnapshot('r', snapshot('r', [10]), 0);
  const series = s().run.scalars.loss;
  const version = s().run.scalarsVersion;
  s().applyRunDelta('r', { kind: 'checkpoint', step: 20, time: 1_000 }, 1_250);
  s().applyRunDelta('r', { kind: 'scalars', series: { loss: { steps: [20], values: [0.5] }, acc: { steps: [20], values: [0.9] } } }, 1_300);
  assert.deepEqual(s().run.steps, [10, 20]);
  assert.equal(s().run.latencyMs, 250);
  assert.equal(s().run.meta!.lastStep, 20);
  assert.equal(s().run.scalars.loss, series, 'the existing series is appended in place');
  assert.equal(series.length, 2);
  assert.ok(s().run.scalarsVersion > version);
  assert.equal(s().run.scalars.acc.length, 1);
  for (let i = 0; i < 250; i++) s().applyRunDelta('r', { kind: 'warning', warning: { code: 'W', message: String(i) } }, 0);
  assert.equal(s().run.warnings.length, 200);
  assert.equal(s().run.warnings.at(-1)!.message, '249');
});

test('after a reference change the previous "to newest" values stay visible until the new ones arrive', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().openRun('r');
  s().applyRunSnapshot('r', snapshot('r', [10, 20, 30]), 0);
  const old = s().convergence.grids['svcca-k']!.toNewest.map((row) => [...row]);

  // Checkpoint 40 arrives: a new column, a new reference (every toNewest cleared), one new value so far.
  s().applyRunDelta('r', { kind: 'convergence', patch: { metric: 'svcca-k', addSteps: [40], reference: 40, cells: [{ l: 0, c: 0, toNewest: 0.2 }] } }, 0);
  const g = s().convergence.grids['svcca-k']!;
  assert.equal(g.reference, 40);
  assert.deepEqual(g.toNewest[0], [0.2, null, null, null], 'the grid holds only what is known for the new reference');
  const stale = s().convergence.stale['svcca-k']!;
  assert.deepEqual(stale[0].slice(0, 3), old[0], 'the previous values are kept for display');
  assert.deepEqual(stale[1].slice(0, 3), old[1]);
  const version = s().convergence.version;

  // The next reference change carries over the newest known value per cell: the new one where there is one.
  s().applyRunDelta('r', { kind: 'convergence', patch: { metric: 'svcca-k', addSteps: [50], reference: 50, cells: [] } }, 0);
  const carried = s().convergence.stale['svcca-k']!;
  assert.equal(carried[0][0], 0.2, 'a value computed for reference 40 replaces the older one');
  assert.equal(carried[0][1], old[0][1], 'cells never recomputed keep their older value');
  assert.ok(s().convergence.version > version);
});

test('a snapshot replaces the grids; a convergence patch for an unknown metric starts an empty grid of the run layers', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().openRun('r');
  s().applyRunSnapshot('r', snapshot('r', [10]), 0);
  s().applyRunDelta('r', { kind: 'convergence', patch: { metric: 'cka', addSteps: [10], cells: [{ l: 1, c: 0, stability: 0.7 }] } }, 0);
  const cka = s().convergence.grids.cka!;
  assert.deepEqual(cka.layers, ['h1', 'h2']);
  assert.deepEqual(cka.stability, [[null], [0.7]]);
  // The store's grids are its own: mutating the snapshot it was given changes nothing shown.
  const snap = snapshot('r', [10, 20]);
  s().applyRunSnapshot('r', snap, 0);
  snap.analysis!.convergence!.grids['svcca-k'] = grid('svcca-k', [1], () => 0);
  assert.deepEqual(s().convergence.grids['svcca-k']!.steps, [10, 20]);
  assert.equal(s().convergence.grids.cka, undefined, 'a snapshot replaces every grid');
});
