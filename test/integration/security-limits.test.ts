/** Every configurable limit is enforced with its error code, and the server keeps serving a well-behaved client afterwards. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { encodeFrame } from '../../lib/protocol';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { rawSocket, type RawSocket } from './helpers/raw-socket';
import { CLI, startChildServer, startTestServer, tempDir, until, type TestServer } from './helpers/server';

const exec = promisify(execFile);
let server: TestServer;

before(async () => {
  server = await startTestServer({
    limits: {
      maxFrameBytes: 64 * 1024,
      maxLayers: 4,
      maxUnits: 32,
      maxExamples: 64,
      maxClasses: 8,
      maxConcepts: 4,
      maxRunBytes: 40_000,
      maxMessagesPerSecond: 200,
    },
    connectionLimits: {
      maxTextBytes: 8 * 1024,
      maxCheckpointBytes: 12_000,
      maxIngestConnections: 8,
      maxLiveConnections: 6,
      maxLiveSubscriptions: 3,
      maxLiveRate: 20,
      maxLiveMessageBytes: 2048,
    },
  });
});
after(async () => {
  await server.close();
});

const built = buildRun({ layers: 2, units: 8, examples: 20 });

async function hello(name: string): Promise<RawSocket & { runId: string }> {
  const c = await rawSocket(server.ingestUrl);
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name } }));
  const w = await c.next();
  assert.equal(w.type, 'welcome');
  return Object.assign(c, { runId: w.runId as string });
}

async function declared(name: string) {
  const c = await hello(name);
  c.ws.send(JSON.stringify({ type: 'layers', layers: built.layers }));
  c.ws.send(JSON.stringify({ type: 'probe', ...built.probe }));
  assert.equal((await c.next()).of, 'layers');
  assert.equal((await c.next()).of, 'probe');
  return c;
}

/** A well-behaved trainer still gets its checkpoint stored. */
async function stillServes(): Promise<void> {
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'well-behaved' } });
  await client.declare(built.layers, built.probe);
  const ack = await client.checkpoint(1, buildCheckpoint(built, 1));
  assert.equal(ack.step, 1);
  await client.end();
  await client.close();
}

test('welcome.limits reports the configured limits', async () => {
  const c = await rawSocket(server.ingestUrl);
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'limits' } }));
  const w = await c.next();
  assert.deepEqual(w.limits, {
    maxFrameBytes: 65536,
    maxLayers: 4,
    maxUnits: 32,
    maxExamples: 64,
    maxClasses: 8,
    maxConcepts: 4,
    maxRunBytes: 40000,
    maxMessagesPerSecond: 200,
  });
  c.ws.close();
});

test('layers, units, examples, classes and concepts over their limits: LIMIT_LAYERS, LIMIT_UNITS, LIMIT_EXAMPLES, LIMIT_CLASSES, LIMIT_CONCEPTS (not fatal)', async () => {
  const c = await hello('too-wide');
  c.ws.send(JSON.stringify({ type: 'layers', layers: Array.from({ length: 5 }, (_, i) => ({ name: `l${i}`, units: 2 })) }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_LAYERS', 'layers', false]);
  c.ws.send(JSON.stringify({ type: 'layers', layers: [{ name: 'big', units: 33 }] }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_UNITS', 'layers', false]);
  c.ws.send(JSON.stringify({ type: 'probe', examples: 65 }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_EXAMPLES', 'probe', false]);
  // Classes (--max-classes 8): class names, or without names the largest label + 1; concepts (--max-concepts 4).
  c.ws.send(JSON.stringify({ type: 'probe', examples: 2, labels: [0, 8] }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_CLASSES', 'probe', false]);
  c.ws.send(JSON.stringify({ type: 'probe', examples: 2, labels: [0, 1], classNames: Array.from({ length: 9 }, (_, i) => `c${i}`) }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_CLASSES', 'probe', false]);
  c.ws.send(JSON.stringify({ type: 'probe', examples: 2, concepts: Array.from({ length: 5 }, (_, i) => ({ name: `k${i}`, category: 'x' })) }));
  assert.deepEqual(pick(await c.next()), ['LIMIT_CONCEPTS', 'probe', false]);
  c.ws.send(JSON.stringify({ type: 'layers', layers: built.layers }));
  assert.equal((await c.next()).type, 'ack', 'the connection stays usable');
  c.ws.close();
  await stillServes();
});

test('a second hello on one connection (runs per connection = 1): ALREADY_HELLO', async () => {
  const c = await hello('one-run');
  c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'second' } }));
  assert.deepEqual(pick(await c.next()), ['ALREADY_HELLO', undefined, false]);
  c.ws.close();
});

test('a binary frame over --max-frame closes with 1009; a JSON message over --max-text-bytes is FRAME_TOO_LARGE', async () => {
  const a = await declared('big-frame');
  a.ws.send(new Uint8Array(64 * 1024 + 1));
  assert.equal((await a.closed).code, 1009);
  const b = await hello('big-text');
  b.ws.send(JSON.stringify({ type: 'scalars', step: 1, values: { ['x'.repeat(9000)]: 1 } }));
  const err = await b.next();
  assert.deepEqual([err.code, err.fatal], ['FRAME_TOO_LARGE', true]);
  assert.equal((await b.closed).code, 1009);
  await stillServes();
});

test('a checkpoint announcing more bytes than --max-checkpoint-bytes: LIMIT_CHECKPOINT_BYTES, its frames are swallowed', async () => {
  const wide = {
    layers: [
      { name: 'a', units: 32, kind: 'dense' as const },
      { name: 'b', units: 32, kind: 'dense' as const },
    ],
    probe: { examples: 64 },
  };
  const c = await hello('big-checkpoint');
  c.ws.send(JSON.stringify({ type: 'layers', layers: wide.layers }));
  c.ws.send(JSON.stringify({ type: 'probe', examples: 64 }));
  await c.next();
  await c.next();
  // 2 layers × 32 × 64 × 4 = 8,192 bytes each, 16,384 together > 12,000.
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: 1, layers: ['a', 'b'] }));
  for (const l of wide.layers) c.ws.send(encodeFrame({ run: c.runId, step: 1, layer: l.name, shape: [32, 64] }, new Float32Array(32 * 64)));
  c.ws.send(JSON.stringify({ type: 'ping', id: 1 }));
  const cpErr = await c.next();
  assert.deepEqual(pick(cpErr), ['LIMIT_CHECKPOINT_BYTES', 'checkpoint', false], JSON.stringify(c.msgs));
  assert.deepEqual(await c.next(), { type: 'pong', id: 1 }, 'no UNEXPECTED_FRAME for the swallowed frames');
  // One layer at a time fits.
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: 2, layers: ['a'] }));
  c.ws.send(encodeFrame({ run: c.runId, step: 2, layer: 'a', shape: [32, 64] }, new Float32Array(32 * 64)));
  assert.deepEqual(await c.next(), { type: 'ack', of: 'checkpoint', step: 2 });
  c.ws.close();
});

test('a run past --max-run-bytes: LIMIT_RUN_BYTES, and nothing more is stored', async () => {
  const c = await declared('big-run');
  // Each checkpoint stores 2 × 8 × 20 × 4 = 1,280 payload bytes plus headers; 40,000 allows about 25.
  let step = 0;
  let refused: Record<string, unknown> | null = null;
  while (!refused && step < 100) {
    step++;
    c.ws.send(JSON.stringify({ type: 'checkpoint', step, layers: built.layers.map((l) => l.name) }));
    for (const f of buildCheckpoint(built, step)) c.ws.send(encodeFrame({ run: c.runId, step, layer: f.layer, shape: f.shape }, f.data));
    const r = await c.next();
    if (r.type === 'error') refused = r;
  }
  assert.ok(refused, 'the limit was reached');
  assert.deepEqual(pick(refused), ['LIMIT_RUN_BYTES', 'checkpoint', false]);
  const bytes = server.registry.getLive(c.runId)!.state.meta.bytes;
  assert.ok(bytes <= 40_000, `stored ${bytes} bytes`);
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: step + 1, layers: built.layers.map((l) => l.name) }));
  for (const f of buildCheckpoint(built, step + 1)) c.ws.send(encodeFrame({ run: c.runId, step: step + 1, layer: f.layer, shape: f.shape }, f.data));
  assert.equal((await c.next()).code, 'LIMIT_RUN_BYTES');
  c.ws.close();
});

test('more messages per second than --max-rate: RATE_LIMITED for the excess, one reply per message', async () => {
  const c = await hello('flood');
  for (let i = 0; i < 400; i++) c.ws.send(JSON.stringify({ type: 'ping', id: i }));
  await until(() => c.msgs.length >= 401, 10_000, '400 replies');
  const replies = c.msgs.slice(1);
  const limited = replies.filter((m) => m.code === 'RATE_LIMITED').length;
  const pongs = replies.filter((m) => m.type === 'pong').length;
  assert.equal(limited + pongs, 400);
  assert.ok(limited >= 150 && pongs >= 200, `${pongs} pongs, ${limited} limited`);
  await new Promise((r) => setTimeout(r, 1100));
  c.ws.send(JSON.stringify({ type: 'ping', id: 999 }));
  assert.deepEqual(await c.waitFor((m) => m.id === 999), { type: 'pong', id: 999 }, 'the bucket refills');
  c.ws.close();
});

test('a trainer that floods without reading its replies is dropped, not buffered without bound', async () => {
  const flooder = await startTestServer({ limits: { maxMessagesPerSecond: 1_000_000 }, connectionLimits: { maxSendBufferBytes: 256 * 1024 } });
  try {
    const c = await rawSocket(flooder.ingestUrl);
    c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'deaf' } }));
    await c.next();
    c.ws.pause(); // stop reading: the server's replies pile up in its send buffer
    // Each 15-byte message draws a ~100-byte UNKNOWN_TYPE reply: far more than the kernel's socket buffers hold.
    for (let i = 0; i < 400_000 && !c.isClosed(); i++) {
      c.ws.send('{"type":"nope"}');
      if (i % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
    c.ws.resume();
    await until(() => c.isClosed(), 15_000, 'the deaf trainer to be dropped');
    const client = await IngestClient.connect({ url: flooder.ingestUrl, run: { name: 'after' } });
    await client.close();
  } finally {
    await flooder.close();
  }
});

test('/live: subscriptions, message rate and message size are bounded', async () => {
  const c = await rawSocket(server.liveUrl);
  await c.next(); // welcome
  const ids: string[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await hello(`live-${i}`);
    ids.push(r.runId);
    r.ws.close();
  }
  for (const id of ids) c.ws.send(JSON.stringify({ type: 'subscribe', topic: `run:${id}` }));
  const limit = await c.waitFor((m) => m.code === 'LIMIT_SUBSCRIPTIONS');
  assert.deepEqual([limit.fatal, limit.topic], [false, `run:${ids[3]}`]);
  c.ws.send(JSON.stringify({ type: 'unsubscribe', topic: `run:${ids[0]}` }));
  c.ws.send(JSON.stringify({ type: 'subscribe', topic: `run:${ids[3]}` }));
  await c.waitFor((m) => m.type === 'snapshot' && m.topic === `run:${ids[3]}`);

  await new Promise((r) => setTimeout(r, 1100));
  const before = c.msgs.length;
  for (let i = 0; i < 60; i++) c.ws.send(JSON.stringify({ type: 'ping', id: i }));
  await until(() => c.msgs.length >= before + 60, 5000, '60 replies');
  const burst = c.msgs.slice(before);
  const limited = burst.filter((m) => m.code === 'RATE_LIMITED').length;
  assert.ok(limited >= 30 && limited <= 41, `${limited} of 60 rate-limited at 20/s`);

  c.ws.send('x'.repeat(4096));
  assert.equal((await c.closed).code, 1009, 'a message over --max-live-message-bytes closes with 1009');
  await stillServes();
});

test('serve: limit flags and LAYERWATCH_MAX_* reach welcome.limits; a bad value is a usage error', async () => {
  const dataDir = await tempDir();
  const child = await startChildServer(dataDir, ['--max-layers', '7', '--max-rate', '99', '--max-frame', '123456', '--max-classes', '12'], 0, {
    LAYERWATCH_MAX_CONCEPTS: '5',
  });
  try {
    const c = await rawSocket(child.ingestUrl);
    c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'flags' } }));
    const w = (await c.next()) as { limits: Record<string, number> };
    assert.deepEqual(
      [w.limits.maxLayers, w.limits.maxMessagesPerSecond, w.limits.maxFrameBytes, w.limits.maxClasses, w.limits.maxConcepts],
      [7, 99, 123456, 12, 5],
    );
    c.ws.close();
  } finally {
    child.child.kill('SIGKILL');
  }
  const bad = await exec(process.execPath, [CLI, 'serve', '--no-pages', '--port', '0', '--data', dataDir], {
    env: { ...process.env, LAYERWATCH_MAX_UNITS: '-3' },
  }).then(
    () => assert.fail('should refuse'),
    (e: { code: number; stderr: string }) => e,
  );
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--max-units must be a positive integer/);
});

function pick(m: Record<string, unknown>) {
  return [m.code, m.of, m.fatal];
}

test('the analysis settings are checked: a bad value stops serve with one line and exit code 2', async () => {
  const dataDir = await tempDir();
  const cases: Array<{ args: string[]; env?: Record<string, string>; says: RegExp }> = [
    { args: ['--workers', '0'], says: /--workers must be 1-64/ },
    { args: ['--analysis-nice', '20'], says: /--analysis-nice must be 0-19/ },
    { args: ['--prefetch-mb', '-1'], says: /--prefetch-mb must be 0-65536/ },
    { args: [], env: { LAYERWATCH_PREFETCH_MB: '1.5' }, says: /--prefetch-mb must be 0-65536/ },
  ];
  for (const { args, env, says } of cases) {
    const bad = await exec(process.execPath, [CLI, 'serve', '--no-pages', '--port', '0', '--data', dataDir, ...args], { env: { ...process.env, ...env } }).then(
      () => assert.fail(`${args.join(' ')} should be refused`),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.stderr, says);
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line: ${bad.stderr}`);
  }
});
