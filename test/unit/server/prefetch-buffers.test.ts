import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SharedBuffers } from '../../../server/analysis/prefetch';

test('frame copies for prefetch: buffers are reused by size, and in-use plus kept memory never passes the bound', () => {
  const buffers = new SharedBuffers(100);
  const a = buffers.acquire(40)!;
  const b = buffers.acquire(40)!;
  assert.ok(a && b && a !== b, 'two buffers in use');
  assert.equal(buffers.acquire(40), null, 'a third would pass the bound: the frame is prepared once stored instead');
  buffers.release(a);
  assert.equal(buffers.acquire(40), a, 'the same size reuses the warm buffer');
  buffers.release(b);
  // 40 in use (a) and 40 kept (b): a buffer of another size makes room by dropping the kept one.
  const c = buffers.acquire(60)!;
  assert.ok(c && c !== b && c.byteLength === 60);
  buffers.release(c);
  assert.notEqual(buffers.acquire(40), b, 'b was dropped to make room');
  assert.equal(new SharedBuffers(0).acquire(1), null, 'a bound of 0 prepares nothing ahead');
});
