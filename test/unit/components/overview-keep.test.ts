/** A refetched overview page keeps the previous page's column keys and chart points when they are equal (nothing redraws for them). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OverviewPage } from '@/lib/protocol';
import { keepUnchanged } from '@/components/panels/use-overview';

const page = (lr: number): OverviewPage => ({
  total: 2,
  matched: 2,
  counts: { all: 2, live: 0, finished: 2, failed: 0, interrupted: 0 },
  offset: 0,
  rows: [],
  keys: { config: ['c:lr'], scalars: ['s:loss'], layers: [] },
  points: {
    axes: ['c:lr', 's:loss'],
    ids: ['a', 'b'],
    values: [
      [lr, 1],
      [0.1, 2],
    ],
    selected: [true, true],
    truncated: false,
  },
});

test('equal keys and points keep their objects; changed points are the new ones', () => {
  const first = page(0.01);
  const again = keepUnchanged(first, page(0.01));
  assert.equal(again.keys, first.keys);
  assert.equal(again.points, first.points);
  const moved = page(0.02);
  const next = keepUnchanged(again, moved);
  assert.equal(next.keys, first.keys);
  assert.equal(next.points, moved.points);
  assert.equal(keepUnchanged(null, moved), moved);
});
