/** Malformed input on /ingest: each case gets its error code, the connection behaves as documented, and the stored log stays intact. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { encodeFrame } from '../../lib/protocol';
import { readRunLog } from '../../server/storage/run-log-reader';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { startTestServer, until, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer({ limits: { maxFrameBytes: 64 * 1024 } });
});
after(async () => {
  await server.close();
});

interface Raw {
  ws: WebSocket;
  msgs: Array<Record<string, unknown>>;
  closed: Promise<{ code: number; reason: string }>;
  next(): Promise<Record<string, unknown>>;
}

async function connect(): Promise<Raw> {
  const ws = new WebSocket(server.ingestUrl);
  const msgs: Array<Record<string, unknown>> = [];
  let read = 0;
  ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
  const closed = new Promise<{ code: number; reason: string }>((r) => ws.on('close', (code, reason) => r({ code, reason: String(reason) })));
  await new Promise((r) => ws.once('open', r));
  return {
    ws,
    msgs,
    closed,
    async next() {
      await until(() => msgs.length > read, 5000, 'a reply');
      return msgs[read++];
    },
  };
}

const built = buildRun({ layers: 2, units: 4, examples: 10 });

async function openRun(name: string): Promise<Raw & { runId: string }> {
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name } }));
  const welcome = await c.next();
  assert.equal(welcome.type, 'welcome');
  c.ws.send(JSON.stringify({ type: 'layers', layers: built.layers }));
  c.ws.send(JSON.stringify({ type: 'probe', ...built.probe }));
  assert.equal((await c.next()).of, 'layers');
  assert.equal((await c.next()).of, 'probe');
  return Object.assign(c, { runId: welcome.runId as string });
}

function sendCheckpoint(c: Raw & { runId: string }, step: number, mutate?: (frames: Uint8Array[]) => Uint8Array[]) {
  const cp = buildCheckpoint(built, step);
  c.ws.send(JSON.stringify({ type: 'checkpoint', step, layers: cp.map((f) => f.layer) }));
  let frames = cp.map((f) => encodeFrame({ run: c.runId, step, layer: f.layer, shape: f.shape }, f.data));
  if (mutate) frames = mutate(frames);
  for (const f of frames) c.ws.send(f);
}

async function storedCheckpoints(runId: string): Promise<number[]> {
  const steps: number[] = [];
  let frames = 0;
  for await (const rec of readRunLog(path.join(server.dataDir, 'runs', runId, 'log.lwlog'), { strict: true })) {
    if (rec.kind === 2) frames++;
    if (rec.kind === 1) {
      const m = JSON.parse(rec.payload.toString('utf8'));
      if (m.type === 'checkpoint') steps.push(m.step);
    }
  }
  assert.equal(frames, steps.length * built.layers.length, 'every stored checkpoint has all its frames');
  return steps;
}

test('data before hello: HELLO_REQUIRED, then the connection closes with 1002', async () => {
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'layers', layers: built.layers }));
  const err = await c.next();
  assert.deepEqual([err.type, err.code, err.fatal], ['error', 'HELLO_REQUIRED', true]);
  assert.equal((await c.closed).code, 1002);
});

test('wrong protocol version: PROTOCOL_VERSION, closed with 1002, no run created', async () => {
  const before = server.registry.list().length;
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 99, run: { name: 'future' } }));
  const err = await c.next();
  assert.deepEqual([err.code, err.fatal], ['PROTOCOL_VERSION', true]);
  assert.equal((await c.closed).code, 1002);
  assert.equal(server.registry.list().length, before);
});

test('bad JSON and unknown types are answered and ignored; the connection stays usable', async () => {
  const c = await openRun('bad-json');
  c.ws.send('{"type": "scalars", step: 1');
  assert.equal((await c.next()).code, 'BAD_JSON');
  c.ws.send(JSON.stringify({ type: 'teleport', to: 'mars' }));
  assert.equal((await c.next()).code, 'UNKNOWN_TYPE');
  c.ws.send(JSON.stringify({ type: 'scalars', step: -1, values: { loss: 1 } }));
  const bad = await c.next();
  assert.deepEqual([bad.code, bad.of, bad.fatal], ['BAD_MESSAGE', 'scalars', false]);
  sendCheckpoint(c, 5);
  assert.deepEqual(await c.next(), { type: 'ack', of: 'checkpoint', step: 5 });
  assert.deepEqual(await storedCheckpoints(c.runId), [5]);
  c.ws.close();
});

test('a frame whose shape does not match the layer: SHAPE_MISMATCH, checkpoint discarded, next one stored', async () => {
  const c = await openRun('bad-shape');
  sendCheckpoint(c, 1, (frames) => {
    const cp = buildCheckpoint(built, 1);
    return [encodeFrame({ run: c.runId, step: 1, layer: cp[0].layer, shape: [2, 20] }, cp[0].data), frames[1]];
  });
  const err = await c.next();
  assert.deepEqual([err.code, err.of, err.step, err.fatal], ['SHAPE_MISMATCH', 'checkpoint', 1, false]);
  sendCheckpoint(c, 2);
  assert.deepEqual(await c.next(), { type: 'ack', of: 'checkpoint', step: 2 });
  assert.deepEqual(await storedCheckpoints(c.runId), [2]);
  c.ws.close();
});

test('a truncated binary frame: BAD_FRAME, nothing of that checkpoint is stored', async () => {
  const c = await openRun('truncated');
  sendCheckpoint(c, 1);
  assert.equal((await c.next()).of, 'checkpoint');
  sendCheckpoint(c, 2, (frames) => [frames[0].subarray(0, frames[0].length - 7), frames[1]]);
  const err = await c.next();
  assert.deepEqual([err.code, err.of, err.fatal], ['BAD_FRAME', 'checkpoint', false]);
  c.ws.send(JSON.stringify({ type: 'ping', id: 7 }));
  assert.deepEqual(await c.next(), { type: 'pong', id: 7 });
  assert.deepEqual(await storedCheckpoints(c.runId), [1]);
  c.ws.close();
});

test('a frame over the size limit closes the connection with 1009; what was stored stays', async () => {
  const c = await openRun('too-big');
  sendCheckpoint(c, 1);
  assert.equal((await c.next()).of, 'checkpoint');
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: 2, layers: ['l0'] }));
  c.ws.send(new Uint8Array(65 * 1024));
  assert.equal((await c.closed).code, 1009);
  await until(() => server.registry.index.get(c.runId)?.status === 'interrupted', 5000, 'run interrupted');
  assert.deepEqual(await storedCheckpoints(c.runId), [1]);
});

test('a binary frame without a checkpoint: UNEXPECTED_FRAME; checkpoints before layers: NOT_DECLARED', async () => {
  const c = await connect();
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'undeclared' } }));
  assert.equal((await c.next()).type, 'welcome');
  c.ws.send(new Uint8Array([1, 2, 3]));
  const stray = await c.next();
  assert.equal(stray.code, 'UNEXPECTED_FRAME');
  assert.equal(stray.of, undefined);
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: 1, layers: ['l0'] }));
  assert.deepEqual([(await c.next()).code], ['NOT_DECLARED']);
  c.ws.close();
});
