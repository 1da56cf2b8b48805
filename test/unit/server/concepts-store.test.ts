/** Stored concept statistics: summaries plus binary per-unit records, and older logs that kept whole cells in their patches, read alike. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import type { ConceptCell, ConceptMeta } from '../../../lib/protocol';
import { summaryOf } from '../../../lib/protocol';
import { AnalysisWriter } from '../../../server/analysis/analysis-store';
import { encodeUnitsRecord, readUnitSlices } from '../../../server/analysis/concept-units';
import { cellKey, loadConcepts, loadConceptSummaries } from '../../../server/analysis/concepts-store';
import { RunLogWriter } from '../../../server/storage/run-log-writer';
import { tempDir } from '../storage/helpers';

let dir = '';
let cleanup = async () => {};
beforeEach(async () => ({ dir, cleanup } = await tempDir()));
afterEach(() => cleanup());

const meta: ConceptMeta = {
  layers: ['a', 'b'],
  units: [5, 3],
  concepts: [
    { name: 'red', category: 'colour' },
    { name: 'dots', category: 'texture' },
  ],
  categories: ['colour', 'texture'],
  classNames: ['x', 'y'],
  threshold: 0.04,
  quantiles: [0.01, 0.01],
  examples: 10,
};
const cell = (l: number, step: number, n: number): ConceptCell => ({
  l,
  step,
  mode: 'image',
  detectors: 1,
  unique: 1,
  uniqueByCategory: [1, 0],
  sensitivity: [0.5, null],
  k: 2,
  selectivityBands: null,
  best: Array.from({ length: n }, (_, u) => (u % 3) - 1),
  iou: Array.from({ length: n }, (_, u) => u / 10),
  selectivity: Array.from({ length: n }, (_, u) => (u === 1 ? null : u / 8)),
});
const writeFailed = (code: string, err: unknown) => assert.fail(`${code}: ${String(err)}`);
const packed = (c: ConceptCell) => Float32Array.from([...c.best, ...c.iou, ...c.selectivity.map((v) => v ?? NaN)]);

test('summaries and unit records: the state holds no per-unit values, the index finds each cell, slices read back exactly', async () => {
  const file = path.join(dir, 'analysis.lwlog');
  const w = new AnalysisWriter(file, writeFailed);
  w.append({ type: 'concepts', patch: { meta } });
  const cells = [cell(0, 10, 5), cell(1, 10, 3), cell(0, 20, 5)];
  for (const c of cells) {
    await w.appendBinary(encodeUnitsRecord(c.l, c.step, packed(c)));
    w.append({ type: 'concepts', patch: { cells: [{ ...summaryOf(c), selectivityBands: [0, 0.1, 0.2, 0.3, 0.4] }] } });
  }
  await w.close();
  const { state, units } = await loadConceptSummaries(file);
  assert.deepEqual(state!.steps, [10, 20]);
  assert.ok(!('best' in state!.cells[0][0]!), 'summaries only');
  assert.deepEqual([...units.keys()].sort(), [cellKey(0, 10), cellKey(0, 20), cellKey(1, 10)]);
  const refs = state!.steps.map((s) => units.get(cellKey(0, s)) ?? null);
  const [a, b] = await readUnitSlices(file, refs, { l: 0, units: 5, from: 1, count: 3, concepts: 2 });
  assert.deepEqual(a, { best: [0, 1, -1], iou: [0.1, 0.2, 0.3], selectivity: [null, 0.25, 0.375] });
  assert.deepEqual(b, a);
  const full = await loadConcepts(file);
  assert.deepEqual(full!.cells[1][0]!.best, cells[1].best);
  assert.equal(full!.cells[1][1], null, 'layer b has no cell at step 20');
});

test('an older log with whole cells in its patches: summarised (selectivity bands computed) and its unit values still served', async () => {
  const file = path.join(dir, 'analysis.lwlog');
  const w = await RunLogWriter.open(file);
  const old = { ...cell(0, 5, 5) } as Partial<ConceptCell>;
  delete old.selectivityBands;
  w.append(4, JSON.stringify({ type: 'concepts', patch: { meta } }));
  w.append(4, JSON.stringify({ type: 'concepts', patch: { cells: [old] } }));
  await w.close();
  const { state, units } = await loadConceptSummaries(file);
  const summary = state!.cells[0][0]!;
  assert.ok(!('best' in summary));
  // Quantiles of the finite selectivities [0, 0.25, 0.375, 0.5] by linear interpolation, rounded to 3 digits.
  assert.deepEqual(summary.selectivityBands, [0.075, 0.188, 0.313, 0.406, 0.463]);
  const [values] = await readUnitSlices(file, [units.get(cellKey(0, 5))!], { l: 0, units: 5, from: 0, count: 5, concepts: 2 });
  assert.deepEqual(values, { best: cell(0, 5, 5).best, iou: cell(0, 5, 5).iou, selectivity: cell(0, 5, 5).selectivity });
});

test('a damaged or foreign unit record reads as missing, never as a crash or a read past the record', async () => {
  const file = path.join(dir, 'analysis.lwlog');
  const w = new AnalysisWriter(file, writeFailed);
  const offset = await w.appendBinary(encodeUnitsRecord(0, 10, packed(cell(0, 10, 5))));
  await w.close();
  // The index says 8 units; the record holds 5.
  const [values] = await readUnitSlices(file, [{ offset: offset!, format: 'units', step: 10 }], { l: 0, units: 8, from: 0, count: 8, concepts: 2 });
  assert.equal(values, null);
  const [none] = await readUnitSlices(file, [{ offset: 16 + 7, format: 'units', step: 10 }], { l: 0, units: 5, from: 0, count: 5, concepts: 2 });
  assert.equal(none, null);
});
