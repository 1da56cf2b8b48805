/** The browser's /live socket against a scripted server: resume, gaps, requests, reconnects (no network, no DOM). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LiveClientMessage, LiveServerMessage } from '@/lib/protocol/live';
import { createLayerwatchStore } from '@/store/create-store';
import { backoffDelay, LiveSocket, RequestError } from '@/store/live-socket';
import { snapshot } from './fixtures';

/** A stand-in for the browser's WebSocket: records what the page sends; the test plays the server. */
class FakeSocket {
  static readonly OPEN = 1;
  static all: FakeSocket[] = [];
  readyState = 0;
  sent: LiveClientMessage[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(text: string): void {
    this.sent.push(JSON.parse(text) as LiveClientMessage);
  }
  close(code = 1000, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  open(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.();
  }
  push(msg: LiveServerMessage | string): void {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  subscribes(): LiveClientMessage[] {
    return this.sent.filter((m) => m.type === 'subscribe');
  }
}

const saved = { WebSocket: globalThis.WebSocket, window: (globalThis as { window?: unknown }).window };
before(() => {
  Object.assign(globalThis, { WebSocket: FakeSocket, window: { addEventListener() {}, removeEventListener() {} } });
});
after(() => Object.assign(globalThis, saved));

function setup() {
  FakeSocket.all = [];
  const store = createLayerwatchStore();
  const socket = new LiveSocket(store, { url: 'ws://test/live', pingMs: 60_000 });
  socket.start();
  const ws = FakeSocket.all[0];
  ws.open();
  return { store, socket, ws };
}

const delta = (seq: number, step: number): LiveServerMessage => ({ type: 'delta', topic: 'run:r', seq, run: { kind: 'checkpoint', step, time: step } });

test('a sequence gap drops the cursor and resubscribes without `since`; deltas until the new snapshot are ignored', () => {
  const { store, socket, ws } = setup();
  store.getState().openRun('r');
  socket.subscribe('run:r');
  ws.push({ type: 'snapshot', topic: 'run:r', epoch: 'e1', seq: 5, run: snapshot('r', [10, 20]) });
  ws.push(delta(6, 30));
  assert.deepEqual(store.getState().run.steps, [10, 20, 30]);
  ws.push(delta(6, 30)); // a repeat is ignored
  assert.deepEqual(store.getState().run.steps, [10, 20, 30]);

  ws.push(delta(8, 50)); // 7 was missed
  assert.deepEqual(store.getState().run.steps, [10, 20, 30], 'the delta after the gap is not applied');
  const subs = ws.subscribes();
  assert.equal(subs.length, 2);
  assert.deepEqual(subs[1], { type: 'subscribe', topic: 'run:r' }, 'resubscribed for a full snapshot');
  ws.push(delta(9, 60));
  assert.deepEqual(store.getState().run.steps, [10, 20, 30], 'nothing applies before the new snapshot');
  ws.push({ type: 'snapshot', topic: 'run:r', epoch: 'e1', seq: 9, run: snapshot('r', [10, 20, 30, 40, 50, 60]) });
  assert.deepEqual(store.getState().run.steps, [10, 20, 30, 40, 50, 60]);
  socket.stop();
});

test('after a reconnect each topic resumes from its last position', () => {
  const { store, socket, ws } = setup();
  store.getState().openRun('r');
  socket.subscribe('run:r');
  ws.push({ type: 'snapshot', topic: 'run:r', epoch: 'e1', seq: 3, run: snapshot('r', [10]) });
  ws.push(delta(4, 20));
  ws.close(1006, 'network');
  assert.equal(store.getState().connection.status, 'reconnecting');
  socket.retryNow();
  const next = FakeSocket.all[1];
  assert.ok(next, 'a new socket was opened');
  next.open();
  assert.deepEqual(next.subscribes(), [{ type: 'subscribe', topic: 'run:r', since: { epoch: 'e1', seq: 4 } }]);
  next.push(delta(5, 30));
  assert.deepEqual(store.getState().run.steps, [10, 20, 30]);
  socket.stop();
});

test('requests resolve with their parsed data, reject with the server code, and fail on disconnect', async () => {
  const { socket, ws } = setup();
  const ok = socket.request('layer-matrix', 'r', { step: 1 });
  const bad = socket.request('layer-matrix', 'r', { step: -1 });
  const [q1, q2] = ws.sent.filter((m) => m.type === 'request');
  assert.ok(q1.type === 'request' && q2.type === 'request');
  assert.deepEqual([q1.what, q1.run, q1.params], ['layer-matrix', 'r', { step: 1 }], 'the wire format is the untyped request');
  ws.push({ type: 'response', id: q2.id, ok: false, code: 'BAD_REQUEST', message: 'no such step' });
  const matrix = {
    metric: 'cka',
    step: 1,
    layers: ['a', 'b'],
    values: [
      [1, 0.5],
      [0.5, 1],
    ],
    chance: 0.1,
  };
  ws.push({ type: 'response', id: q1.id, ok: true, data: matrix });
  const answer = await ok;
  assert.deepEqual(answer, matrix);
  assert.equal(answer.layers.length, 2, 'typed: the result is a LayerMatrix');
  await assert.rejects(bad, (e: unknown) => e instanceof RequestError && e.code === 'BAD_REQUEST');
  const lost = socket.request('series', 'r', { name: 'loss' });
  ws.close(1006, 'gone');
  await assert.rejects(lost, (e: unknown) => e instanceof RequestError && e.code === 'DISCONNECTED');
  socket.stop();
});

test('an answer that fails its result schema rejects with BAD_RESPONSE naming the request and the field', async () => {
  const { socket, ws } = setup();
  const asked = socket.request('reanalyse', 'r', { metric: 'cka' });
  const [q] = ws.sent.filter((m) => m.type === 'request');
  assert.ok(q.type === 'request');
  ws.push({ type: 'response', id: q.id, ok: true, data: { key: 7 } });
  await assert.rejects(asked, (e: unknown) => e instanceof RequestError && e.code === 'BAD_RESPONSE' && /"reanalyse".*key/.test(e.message));
  socket.stop();
});

test('messages that are not JSON or fail validation are dropped, and the socket keeps working', () => {
  const { store, socket, ws } = setup();
  store.getState().openRun('r');
  socket.subscribe('run:r');
  const warn = console.warn;
  const warned: unknown[] = [];
  console.warn = (...a: unknown[]) => void warned.push(a[0]);
  try {
    ws.push('{not json');
    ws.push(JSON.stringify({ type: 'snapshot', topic: 'run:r', epoch: 'e1', seq: 'x' }));
  } finally {
    console.warn = warn;
  }
  assert.equal(warned.length, 2);
  ws.push({ type: 'snapshot', topic: 'run:r', epoch: 'e1', seq: 1, run: snapshot('r', [10]) });
  assert.deepEqual(store.getState().run.steps, [10]);
  socket.stop();
});

test('reconnect delays double to 10 s with jitter', () => {
  assert.equal(
    backoffDelay(0, () => 0.5),
    500,
  );
  assert.equal(
    backoffDelay(3, () => 0.5),
    4_000,
  );
  assert.equal(
    backoffDelay(10, () => 0.5),
    10_000,
  );
  assert.equal(
    backoffDelay(1, () => 0),
    750,
  );
  assert.equal(
    backoffDelay(1, () => 1),
    1_250,
  );
});
