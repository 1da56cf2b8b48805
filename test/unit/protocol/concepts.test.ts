/** ConceptPatch application: steps kept in order whatever the arrival order, meta replacing, chance, and the masks layer name. */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import { applyConceptPatch, ConceptPatch, masksFirstExample, type ConceptMeta, type ConceptSummary } from '../../../lib/protocol';

const meta: ConceptMeta = {
  layers: ['a', 'b'],
  units: [2, 2],
  concepts: [{ name: 'red', category: 'colour' }],
  categories: ['colour'],
  classNames: [],
  threshold: 0.04,
  quantiles: [0.01, 0.01],
  examples: 10,
};
const cell = (l: number, step: number): ConceptSummary => ({
  l,
  step,
  mode: 'image',
  detectors: 1,
  unique: 1,
  uniqueByCategory: [1],
  sensitivity: [],
  k: null,
  selectivityBands: null,
});

it('inserts columns in step order and keys cells by step', () => {
  let s = applyConceptPatch(null, { cells: [cell(0, 5)] });
  assert.equal(s, null, 'cells before a meta are ignored');
  s = applyConceptPatch(null, { meta })!;
  applyConceptPatch(s, { cells: [cell(0, 300), cell(1, 100)] });
  applyConceptPatch(s, { cells: [cell(0, 200), cell(1, 300)], chance: [{ l: 1, value: { detectors: 2, unique: 1 } }] });
  assert.deepEqual(s.steps, [100, 200, 300]);
  assert.deepEqual(
    s.cells.map((row) => row.map((c) => c?.step ?? null)),
    [
      [null, 200, 300],
      [100, null, 300],
    ],
  );
  assert.deepEqual(s.chance, [null, { detectors: 2, unique: 1 }]);
  applyConceptPatch(s, { meta: { ...meta, threshold: 0.05 } });
  assert.equal(s.threshold, 0.05);
  assert.equal(s.steps.length, 3, 'a meta with the same layers keeps the cells');
  assert.ok(ConceptPatch.safeParse({ meta, cells: [cell(0, 1)] }).success);
  // Per-unit arrays are not part of the wire form: a patch carrying them is stripped to its summary by the schema.
  assert.deepEqual(
    Object.keys(ConceptPatch.parse({ cells: [{ ...cell(0, 1), best: [0], iou: [1], selectivity: [null] }] }).cells![0]).sort(),
    Object.keys(cell(0, 1)).sort(),
  );
});

it('parses masks layer names', () => {
  assert.equal(masksFirstExample('__masks__'), 0);
  assert.equal(masksFirstExample('__masks__@120'), 120);
  assert.equal(masksFirstExample('__masks__@x'), null);
  assert.equal(masksFirstExample('conv1'), null);
});
