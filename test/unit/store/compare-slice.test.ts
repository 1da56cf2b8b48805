/** The compare slice keeps, per compared run, what the compare view reads: grids patched by deltas, advice, freezes, layers. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLayerwatchStore } from '@/store/create-store';
import { snapshot } from './fixtures';

test('a compared run follows its topic: convergence patches, advice and freezes; re-analyses and untracked runs are left out', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().trackCompareRun('a');
  s().applyCompareSnapshot('a', snapshot('a', [10, 20]));
  const run = () => s().compare.runs.a!;
  assert.deepEqual(run().layers, ['h1', 'h2']);
  assert.deepEqual(run().grids['svcca-k']!.steps, [10, 20]);

  s().applyCompareDelta('a', { kind: 'checkpoint', step: 30, time: 1_030 });
  s().applyCompareDelta('a', {
    kind: 'convergence',
    patch: {
      metric: 'svcca-k',
      addSteps: [30],
      reference: 30,
      cells: [
        { l: 1, c: 2, toNewest: 1 },
        { l: 1, c: 0, toNewest: 0.97 },
      ],
    },
  });
  const g = run().grids['svcca-k']!;
  assert.deepEqual(g.steps, [10, 20, 30]);
  assert.equal(g.reference, 30);
  assert.deepEqual(g.toNewest[1], [0.97, null, 1], 'a new reference clears the old values before the cells apply');

  // A metric not in the snapshot gets a grid over the run's layers; a re-analysis (keyed) is not shown here.
  s().applyCompareDelta('a', { kind: 'convergence', patch: { metric: 'cka', addSteps: [10], cells: [{ l: 0, c: 0, toNewest: 0.5 }] } });
  assert.deepEqual(run().grids.cka!.layers, ['h1', 'h2']);
  s().applyCompareDelta('a', { kind: 'convergence', patch: { metric: 'svcca', key: 'svcca|threshold=0.9', addSteps: [10], cells: [] } });
  assert.equal(run().grids.svcca, undefined);

  const evidence = { metric: 'svcca-k', threshold: 0.975, window: 3, steps: [10, 20], stability: [0.99, 0.99] };
  s().applyCompareDelta('a', { kind: 'advice', advice: { layer: 'h1', step: 30, action: 'freeze', evidence } });
  s().applyCompareDelta('a', { kind: 'frozen', frozen: { layer: 'h1', step: 31 } });
  assert.deepEqual(
    run().advice.map((x) => x.step),
    [30],
  );
  assert.deepEqual(run().frozen, [{ layer: 'h1', step: 31 }]);

  s().untrackCompareRun('a');
  s().applyCompareDelta('a', { kind: 'checkpoint', step: 40, time: 1_040 });
  assert.equal(s().compare.runs.a, undefined, 'a delta for a run no longer compared does not bring it back');
});

test('chart settings live in the store by scalar name', () => {
  const store = createLayerwatchStore();
  store.getState().setChart('loss', { logY: true, smoothing: 0.6 });
  store.getState().setChart('loss', { smoothing: 2 });
  assert.deepEqual(store.getState().charts, { loss: { logX: false, logY: true, smoothing: 0.99, band: false } });
  store.getState().setChart('loss', { logY: false, smoothing: 0 });
  assert.deepEqual(store.getState().charts, {});
});
