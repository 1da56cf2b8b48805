import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BoundedMap } from '../../lib/bounded-map';

test('keeps the newest `max` entries, dropping the oldest set first', () => {
  const m = new BoundedMap<string, number>(3);
  for (const [i, k] of ['a', 'b', 'c', 'd', 'e'].entries()) m.set(k, i);
  assert.deepEqual(
    [...m.entries()],
    [
      ['c', 2],
      ['d', 3],
      ['e', 4],
    ],
  );
  assert.equal(m.has('a'), false);
});

test('setting an existing key makes it the newest; reading does not', () => {
  const m = new BoundedMap<string, number>(2);
  m.set('a', 1).set('b', 2);
  assert.equal(m.get('a'), 1);
  m.set('c', 3);
  assert.deepEqual([...m.keys()], ['b', 'c'], 'a read leaves the order alone');
  m.set('b', 20).set('d', 4);
  assert.deepEqual(
    [...m.entries()],
    [
      ['b', 20],
      ['d', 4],
    ],
    'the re-set key outlives the one set after it',
  );
});

test('delete and clear free room like a plain Map', () => {
  const m = new BoundedMap<number, string>(2);
  m.set(1, 'x').set(2, 'y');
  m.delete(1);
  m.set(3, 'z');
  assert.deepEqual([...m.keys()], [2, 3]);
  m.clear();
  assert.equal(m.size, 0);
});

test('a max below 1 or not whole is a RangeError', () => {
  for (const bad of [0, -1, 1.5, Number.NaN]) assert.throws(() => new BoundedMap(bad), RangeError);
});
