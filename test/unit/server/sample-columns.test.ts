import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BACKFILL, sampleColumns } from '../../../server/analysis/convergence';
import { columnsPerCheckpoint } from '../../../server/analysis/job-size';

test('backfill keeps every column up to the cap, then the newest 32 and an even spread', () => {
  const few = Array.from({ length: MAX_BACKFILL }, (_, i) => MAX_BACKFILL - 1 - i);
  assert.deepEqual(sampleColumns(few), few);
  const many = Array.from({ length: 4998 }, (_, i) => 4997 - i);
  const s = sampleColumns(many);
  assert.equal(s.length, MAX_BACKFILL);
  assert.deepEqual(s.slice(0, 32), many.slice(0, 32), 'the newest columns are all there');
  assert.equal(new Set(s).size, s.length, 'no column twice');
  assert.ok(s.at(-1)! < many.length / (MAX_BACKFILL - 32) + 1, 'the spread reaches back to within one spacing of the first checkpoint');
  for (let i = 33; i < s.length; i++) assert.ok(s[i] < s[i - 1], 'newest first');
});

test('a smaller cap keeps its newest half and spreads the rest', () => {
  const many = Array.from({ length: 100 }, (_, i) => 99 - i);
  const s = sampleColumns(many, 9);
  assert.equal(s.length, 9);
  assert.deepEqual(s.slice(0, 5), many.slice(0, 5));
  assert.equal(new Set(s).size, 9, 'no column twice');
});

test('a later metric compares with every earlier checkpoint when its pairs are cheap, else as many as the budget allows', () => {
  const wide = Array.from({ length: 12 }, () => ({ units: 768 }));
  assert.equal(columnsPerCheckpoint('svcca-k', wide, 2000, MAX_BACKFILL), MAX_BACKFILL);
  assert.equal(
    columnsPerCheckpoint(
      'cka',
      wide.map((l) => ({ ...l, sketch: 64 })),
      2000,
      MAX_BACKFILL,
    ),
    MAX_BACKFILL,
    'sketched CKA pairs are cheap',
  );
  const cka = columnsPerCheckpoint('cka', wide, 2000, MAX_BACKFILL);
  assert.ok(cka >= 4 && cka < MAX_BACKFILL, `cka of twelve 768-unit layers is sampled (${cka})`);
  assert.ok(
    columnsPerCheckpoint(
      'cka',
      Array.from({ length: 48 }, () => ({ units: 2048 })),
      5000,
      MAX_BACKFILL,
    ) === 4,
    'never fewer than 4',
  );
  assert.ok(columnsPerCheckpoint('cka', [{ units: 16 }], 60, MAX_BACKFILL) === MAX_BACKFILL, 'small layers: every column');
});
