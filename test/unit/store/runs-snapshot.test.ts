/** A refetched page of the run list keeps the objects of runs that did not change, so their memoised rows do not render again. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLayerwatchStore } from '@/store/create-store';
import { meta } from './fixtures';

test('a snapshot keeps an unchanged run object, replaces a changed one and drops runs not in it', () => {
  const store = createLayerwatchStore();
  const s = () => store.getState();
  s().applyRunsSnapshot([meta('a', [10]), meta('b', [10]), meta('c', [10])]);
  const before = s().runs.byId;
  // The same runs again, as a fresh answer would parse them: new objects, equal contents except b's.
  s().applyRunsSnapshot([meta('a', [10]), { ...meta('b', [10]), name: 'b renamed' }]);
  const after = s().runs.byId;
  assert.equal(after.a, before.a);
  assert.notEqual(after.b, before.b);
  assert.equal(after.b.name, 'b renamed');
  assert.equal(after.c, undefined);
});
