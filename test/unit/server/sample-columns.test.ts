import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_BACKFILL, sampleColumns } from '../../../server/analysis/convergence';

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
