/** startRequestLoad, the steps behind useLiveRequest: debounce, cancellation of stale answers, error state with a code. */
import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { RequestError } from '@/store/live-socket';
import { IDLE, startRequestLoad, type RequestLoad } from '@/store/request-load';

/** A view's load state driven by the updates startRequestLoad makes. */
function view<T>() {
  let load: RequestLoad<T> = IDLE;
  return { update: (next: (prev: RequestLoad<T>) => RequestLoad<T>) => void (load = next(load)), get: () => load };
}

/** A request whose answer the test settles by hand, counting how often it was asked. */
function deferred<T>() {
  const asked: Array<{ resolve(v: T): void; reject(e: unknown): void }> = [];
  const ask = () => new Promise<T>((resolve, reject) => void asked.push({ resolve, reject }));
  return { ask, asked };
}

const flush = () => new Promise<void>((r) => setImmediate(r));

test('the load goes "loading" at once, and the request goes out only after the delay', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const v = view<number>();
    const q = deferred<number>();
    startRequestLoad(q.ask, 200, v.update);
    assert.equal(v.get().state, 'loading');
    mock.timers.tick(199);
    assert.equal(q.asked.length, 0);
    mock.timers.tick(1);
    assert.equal(q.asked.length, 1);
    q.asked[0].resolve(7);
    await flush();
    assert.deepEqual(v.get(), { state: 'ready', data: 7 });
  } finally {
    mock.timers.reset();
  }
});

test('debounce: params changing faster than the delay ask once, for the last ones', () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const v = view<string>();
    const seen: string[] = [];
    let cancel = () => {};
    for (const step of ['1', '2', '3']) {
      cancel();
      cancel = startRequestLoad(
        () => {
          seen.push(step);
          return Promise.resolve(step);
        },
        120,
        v.update,
      );
      mock.timers.tick(50);
    }
    mock.timers.tick(120);
    assert.deepEqual(seen, ['3']);
  } finally {
    mock.timers.reset();
  }
});

test('cancel: an answer or error arriving after cancel is dropped; the last data stays while the next loads', async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const v = view<number>();
    const q = deferred<number>();
    startRequestLoad(q.ask, 0, v.update);
    mock.timers.tick(0);
    q.asked[0].resolve(1);
    await flush();
    const cancel = startRequestLoad(q.ask, 0, v.update);
    assert.deepEqual(v.get(), { state: 'loading', data: 1 }, 'the previous answer is kept while loading');
    mock.timers.tick(0);
    cancel();
    q.asked[1].resolve(2);
    await flush();
    assert.deepEqual(v.get(), { state: 'loading', data: 1 }, 'a stale answer is not applied');
    const cancel2 = startRequestLoad(q.ask, 0, v.update);
    mock.timers.tick(0);
    cancel2();
    q.asked[2].reject(new RequestError('TIMEOUT', 'late'));
    await flush();
    assert.equal(v.get().state, 'loading', 'a stale error is not applied');
  } finally {
    mock.timers.reset();
  }
});

test("errors keep the last data and carry a stable code: the server's, or BAD_RESPONSE for anything else", async () => {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    const v = view<number>();
    startRequestLoad(() => Promise.resolve(5), 0, v.update);
    mock.timers.tick(0);
    await flush();
    startRequestLoad(() => Promise.reject(new RequestError('RUN_NOT_FOUND', 'no run "x"')), 0, v.update);
    mock.timers.tick(0);
    await flush();
    assert.deepEqual(v.get(), { state: 'error', data: 5, code: 'RUN_NOT_FOUND', message: 'no run "x"' });
    startRequestLoad(() => Promise.reject(new TypeError('boom')), 0, v.update);
    mock.timers.tick(0);
    await flush();
    assert.deepEqual(v.get(), { state: 'error', data: 5, code: 'BAD_RESPONSE', message: 'boom' });
  } finally {
    mock.timers.reset();
  }
});
