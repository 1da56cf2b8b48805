/**
 * The largest shapes the limits allow can be viewed: 256 layers × 65,536 units (a tiny probe set keeps it fast) are
 * ingested, analysed, and a viewer gets a bounded snapshot (per-layer summaries), a page of per-unit concept values and
 * one unit's history on request. bench/max-shape.ts prints the same figures.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '../../server/http/limits';
import { MAX_CONCEPT_UNITS } from '../../lib/protocol';
import { runMaxShape, SNAPSHOT_BOUND } from '../../bench/max-shape';

test(`${DEFAULT_LIMITS.maxLayers} layers × ${DEFAULT_LIMITS.maxUnits} units: ingested, analysed, and viewed through a bounded snapshot`, {
  timeout: 900_000,
}, async () => {
  const said: string[] = [];
  const o = { layers: DEFAULT_LIMITS.maxLayers, units: DEFAULT_LIMITS.maxUnits, examples: 2, checkpoints: 2, log: (line: string) => said.push(line) };
  const r = await runMaxShape(o);
  assert.ok(r.serverAlive, said.join('\n'));
  assert.ok(r.snapshotBytes <= SNAPSHOT_BOUND, `the snapshot is ${r.snapshotBytes} bytes; the bound is ${SNAPSHOT_BOUND}`);
  assert.equal(r.snapshot.layers.length, o.layers);
  assert.ok(r.snapshot.layers.every((l) => l.units === o.units));
  assert.equal(r.conceptCells, o.layers * o.checkpoints, 'every layer has its concept summary at every checkpoint');
  const grids = Object.values(r.snapshot.analysis?.convergence?.grids ?? {});
  assert.ok(grids.length > 0 && grids.every((g) => g.layers.length === o.layers && g.steps.length === o.checkpoints && g.pending === 0));
  assert.deepEqual([r.page.from, r.page.count, r.page.units, r.page.steps.length], [1000, MAX_CONCEPT_UNITS, o.units, o.checkpoints]);
  assert.ok(r.page.best.every((col) => col?.length === MAX_CONCEPT_UNITS) && r.page.iou.every((col) => col?.every((v) => v >= 0 && v <= 1)));
  assert.deepEqual([r.unit.from, r.unit.count], [o.units - 1, 1]);
  assert.ok(r.unit.selectivity.every((col) => col?.length === 1));
});
