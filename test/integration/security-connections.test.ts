/**
 * Connection hygiene (issue 21): pipelined hellos make one run, idle or unauthenticated sockets hold no trainer or viewer
 * slot and are closed at the handshake deadline, the server's sockets and slow HTTP requests are bounded, and checkpoint
 * bytes in flight are bounded server-wide. After each case the same server still serves a well-behaved trainer.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { encodeFrame } from '../../lib/protocol';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { clientTextFrame, rawSocket, tcpWebSocket, type RawSocket } from './helpers/raw-socket';
import { ROOT, startTestServer, until, type TestServer } from './helpers/server';

const PYTHON = '/usr/bin/python3';

const TOKEN = 'connections-token';
const built = buildRun({ layers: 2, units: 8, examples: 20 });
/** Bytes one checkpoint of `built` announces: 2 layers × 8 units × 20 examples × 4. */
const CHECKPOINT_BYTES = 2 * 8 * 20 * 4;
let server: TestServer;

before(async () => {
  server = await startTestServer({
    token: TOKEN,
    connectionLimits: { maxIngestConnections: 3, maxLiveConnections: 2, maxInflightBytes: CHECKPOINT_BYTES + 100 },
  });
});
after(async () => {
  await server.close();
});

/** A well-behaved trainer still gets its checkpoint stored. */
async function stillServes(target = server): Promise<void> {
  const client = await IngestClient.connect({ url: target.ingestUrl, token: TOKEN, run: { name: 'well-behaved' } });
  await client.declare(built.layers, built.probe);
  assert.equal((await client.checkpoint(1, buildCheckpoint(built, 1))).step, 1);
  await client.end();
  await client.close();
}

const liveRuns = () => server.registry.list().filter((r) => r.status === 'live').length;

test('2,000 hellos in one write on one connection: one run, 1,999 ALREADY_HELLO, nothing left live after it closes', async () => {
  const before = server.registry.list().length;
  const c = await tcpWebSocket(server.ingestUrl);
  const hello = (i: number) => clientTextFrame(JSON.stringify({ type: 'hello', protocol: 1, token: TOKEN, run: { name: `ghost ${i}` } }));
  c.sock.write(Buffer.concat(Array.from({ length: 2000 }, (_, i) => hello(i))));
  await until(() => c.messages().length >= 2000, 20_000, '2,000 replies');
  const replies = c.messages();
  assert.equal(replies.filter((m) => m.type === 'welcome').length, 1);
  assert.equal(replies.filter((m) => m.code === 'ALREADY_HELLO').length, 1999);
  assert.equal(replies[0].type, 'welcome', 'the welcome answers the first hello, in order');
  assert.equal(server.registry.list().length, before + 1, 'one connection, one run');
  c.sock.end();
  await c.closed;
  await until(() => liveRuns() === 0, 5000, 'no run left live');
  await stillServes();
});

test('hello, layers, probe, checkpoint and its frames in one write: welcome then every ack, in order', async () => {
  const c = await tcpWebSocket(server.ingestUrl);
  const [a, b] = buildCheckpoint(built, 3);
  const binary = (bytes: Uint8Array) => {
    // A masked binary frame, built like clientTextFrame's (opcode 2).
    const frame = clientTextFrame('x'.repeat(bytes.length));
    frame[0] = 0x82;
    const at = frame.length - bytes.length;
    const mask = frame.subarray(at - 4, at);
    for (let i = 0; i < bytes.length; i++) frame[at + i] = bytes[i] ^ mask[i & 3];
    return frame;
  };
  c.sock.write(
    Buffer.concat([
      clientTextFrame(JSON.stringify({ type: 'hello', protocol: 1, token: TOKEN, run: { id: 'one-segment' } })),
      clientTextFrame(JSON.stringify({ type: 'layers', layers: built.layers })),
      clientTextFrame(JSON.stringify({ type: 'probe', ...built.probe })),
      clientTextFrame(JSON.stringify({ type: 'checkpoint', step: 3, layers: ['l0', 'l1'] })),
      binary(encodeFrame({ run: 'one-segment', step: 3, layer: 'l0', shape: a.shape }, a.data)),
      binary(encodeFrame({ run: 'one-segment', step: 3, layer: 'l1', shape: b.shape }, b.data)),
      clientTextFrame(JSON.stringify({ type: 'end' })),
    ]),
  );
  await until(() => c.messages().length >= 5, 10_000, 'five replies');
  assert.deepEqual(
    c.messages().map((m) => [m.type, m.of ?? m.runId]),
    [
      ['welcome', 'one-segment'],
      ['ack', 'layers'],
      ['ack', 'probe'],
      ['ack', 'checkpoint'],
      ['ack', 'end'],
    ],
  );
  c.sock.end();
  assert.equal(server.registry.list().find((r) => r.id === 'one-segment')?.checkpoints, 1);
});

test('idle sockets hold no slot: with 10 idle /ingest and 6 idle /live sockets open, as many trainers and viewers as the limits allow get in', async () => {
  const idle: RawSocket[] = [];
  for (let i = 0; i < 10; i++) idle.push(await rawSocket(server.ingestUrl));
  for (let i = 0; i < 6; i++) idle.push(await rawSocket(server.liveUrl));
  const trainers = await Promise.all([1, 2, 3].map((i) => IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: `slot ${i}` } })));
  const viewers: RawSocket[] = [];
  for (let i = 0; i < 2; i++) {
    const v = await rawSocket(server.liveUrl);
    await v.next(); // welcome
    v.ws.send(JSON.stringify({ type: 'subscribe', topic: 'runs' }));
    assert.equal((await v.next()).type, 'snapshot');
    viewers.push(v);
  }
  for (const t of trainers) await t.end().then(() => t.close());
  for (const c of [...viewers, ...idle]) c.ws.close();
  await stillServes();
});

test('a socket that never says hello (/ingest) or anything (/live) is closed with HANDSHAKE_TIMEOUT, although it answers every heartbeat ping', async () => {
  // Its own server: heartbeats every 100 ms (the ws library answers each one) and an 800 ms handshake deadline.
  const quick = await startTestServer({ heartbeatMs: 100, connectionLimits: { handshakeTimeoutMs: 800 } });
  try {
    const idle = [await rawSocket(quick.ingestUrl), await rawSocket(quick.liveUrl)];
    let pings = 0;
    idle[0].ws.on('ping', () => pings++);
    const viewer = await rawSocket(quick.liveUrl);
    await viewer.next();
    viewer.ws.send(JSON.stringify({ type: 'subscribe', topic: 'runs' }));
    for (const c of idle) {
      const err = await c.waitFor((m) => m.type === 'error', 10_000);
      assert.deepEqual([err.code, err.fatal], ['HANDSHAKE_TIMEOUT', true]);
      assert.equal((await c.closed).code, 1008);
    }
    assert.ok(pings >= 2, `the idle socket answered ${pings} heartbeat pings and was closed all the same`);
    assert.ok(!viewer.isClosed(), 'a subscribed viewer is not timed out');
    viewer.ws.close();
    await stillServesOpen(quick);
  } finally {
    await quick.close();
  }
});

test('heartbeats terminate a silent peer that ignores pings, but not one that ignores them while its data keeps arriving', async () => {
  // A trainer's pong queues behind the checkpoint it is sending: on a slow link it arrives after the next ping.
  const quick = await startTestServer({ heartbeatMs: 100 });
  try {
    const hello = JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'heartbeat' } });
    const [silent, talking] = [await rawSocket(quick.ingestUrl, { autoPong: false }), await rawSocket(quick.ingestUrl, { autoPong: false })];
    for (const c of [silent, talking]) {
      c.ws.send(hello);
      assert.equal((await c.next()).type, 'welcome');
    }
    // 1.5 s (15 heartbeat intervals) of one binary message sent in fragments, 64 bytes every 20 ms, no pong.
    const started = Date.now();
    while (Date.now() - started < 1500) {
      talking.ws.send(Buffer.alloc(64), { binary: true, fin: false });
      await new Promise((r) => setTimeout(r, 20));
    }
    await until(() => silent.isClosed(), 5000, 'the silent peer terminated');
    assert.equal((await silent.closed).code, 1006);
    assert.ok(!talking.isClosed(), 'a peer whose bytes keep arriving is alive although it answered no ping');
    talking.ws.terminate();
    await stillServesOpen(quick);
  } finally {
    await quick.close();
  }
});

test('slots are counted after authentication: wrong-token hellos take none; past the limit a trainer or viewer gets SERVER_FULL, and the slot frees on close', async () => {
  for (let i = 0; i < 10; i++) {
    const c = await rawSocket(server.ingestUrl);
    c.ws.send(JSON.stringify({ type: 'hello', protocol: 1, token: 'wrong', run: {} }));
    assert.equal((await c.next()).code, 'UNAUTHORIZED');
    await c.closed;
  }
  const trainers = await Promise.all([1, 2, 3].map((i) => IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: `full ${i}` } })));
  await assert.rejects(
    IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'one too many' } }),
    (err: Error & { code?: string }) => err.code === 'SERVER_FULL',
  );
  await trainers[0].end();
  await trainers[0].close();
  await until(
    async () =>
      IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'freed' } })
        .then(
          (c) => (trainers[0] = c),
          () => false,
        )
        .then(Boolean),
    5000,
    'a freed trainer slot',
  );

  const viewers: RawSocket[] = [];
  for (let i = 0; i < 3; i++) {
    const v = await rawSocket(server.liveUrl);
    await v.next();
    v.ws.send(JSON.stringify({ type: 'subscribe', topic: 'runs' }));
    viewers.push(v);
  }
  assert.equal((await viewers[0].next()).type, 'snapshot');
  assert.equal((await viewers[1].next()).type, 'snapshot');
  const full = await viewers[2].next();
  assert.deepEqual([full.code, full.fatal], ['SERVER_FULL', true]);
  assert.equal((await viewers[2].closed).code, 1013);
  for (const t of trainers) await t.end().then(() => t.close());
  for (const v of viewers) v.ws.close();
  await until(() => liveRuns() === 0, 5000, 'every run ended');
  await stillServes();
});

test('checkpoint bytes in flight are bounded server-wide: LIMIT_INFLIGHT_BYTES (retry later), freed when the holder finishes or leaves', async () => {
  const a = await IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'holds' } });
  const b = await IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'waits' } });
  const errors: string[] = [];
  const c = await IngestClient.connect({ url: server.ingestUrl, token: TOKEN, run: { name: 'leaves' } });
  for (const t of [a, b, c]) await t.declare(built.layers, built.probe);
  const [l0, l1] = buildCheckpoint(built, 1);
  const frame = (t: IngestClient, step: number, l: typeof l0) => encodeFrame({ run: t.runId, step, layer: l.layer, shape: l.shape }, l.data);
  // A announces a checkpoint and sends only its first frame: its bytes are held.
  a.sendRaw(JSON.stringify({ type: 'checkpoint', step: 1, layers: ['l0', 'l1'] }));
  a.sendRaw(frame(a, 1, l0));
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(b.checkpoint(1, buildCheckpoint(built, 1)), (err: Error & { code?: string; fatal?: boolean }) => {
    errors.push(err.code!);
    return err.code === 'LIMIT_INFLIGHT_BYTES' && err.fatal === false;
  });
  a.sendRaw(frame(a, 1, l1));
  // A's bytes come back once its checkpoint is written; B retries until then, as a trainer told to resend does.
  await until(
    async () =>
      b.checkpoint(1, buildCheckpoint(built, 1)).then(
        (ack) => ack.step === 1,
        () => false,
      ),
    5000,
    'B stored after A finished',
  );
  // C holds a checkpoint and disconnects: its bytes come back too.
  c.sendRaw(JSON.stringify({ type: 'checkpoint', step: 1, layers: ['l0', 'l1'] }));
  c.sendRaw(frame(c, 1, l0));
  await new Promise((r) => setTimeout(r, 100));
  await assert.rejects(b.checkpoint(2, buildCheckpoint(built, 2)), (err: Error & { code?: string }) => err.code === 'LIMIT_INFLIGHT_BYTES');
  c.terminate();
  await until(
    async () =>
      b.checkpoint(2, buildCheckpoint(built, 2)).then(
        () => true,
        () => false,
      ),
    5000,
    'the budget freed by a closed connection',
  );
  for (const t of [a, b]) await t.end().then(() => t.close());
  assert.deepEqual(errors, ['LIMIT_INFLIGHT_BYTES']);
  await stillServes();
});

test('the whole server is bounded: past --max-connections a socket is closed at once; a slow HTTP request is cut at --headers-timeout or --request-timeout', async () => {
  const small = await startTestServer({ connectionLimits: { maxConnections: 4, headersTimeoutMs: 300, requestTimeoutMs: 1500 } });
  try {
    const { port } = new URL(small.url);
    const connect = () =>
      new Promise<net.Socket>((resolve) => {
        const s = net.connect(Number(port), '127.0.0.1', () => resolve(s));
        s.on('error', () => {});
      });
    const open = await Promise.all([1, 2, 3, 4].map(connect));
    const extra = await connect();
    await new Promise((r) => extra.once('close', r));
    for (const s of open) s.destroy();
    // (A connection dropped at the limit can leave fetch waiting: each try has its own deadline.)
    await until(
      async () =>
        fetch(`${small.url}/api/health`, { signal: AbortSignal.timeout(1000) }).then(
          (r) => r.ok,
          () => false,
        ),
      10_000,
      'the closed sockets counted out',
    );
    // Slowloris: a request whose headers never end is answered 408 and closed.
    const slow = await connect();
    let answer = '';
    slow.on('data', (d) => (answer += d));
    slow.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: 1\r\n');
    await new Promise((r) => slow.once('close', r));
    assert.match(answer, /^HTTP\/1\.1 408/);
    // Headers in time, then a body that never ends (an upload trickling in): cut at the request timeout.
    const trickle = await connect();
    let reply = '';
    trickle.on('data', (d) => (reply += d));
    trickle.write('POST /api/import HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000000\r\n\r\nLWLOG');
    await new Promise((r) => trickle.once('close', r));
    assert.match(reply, /^HTTP\/1\.1 408/);
    await stillServesOpen(small);
  } finally {
    await small.close();
  }
});

/** A trainer on a server without a token still gets its checkpoint stored. */
async function stillServesOpen(target: TestServer): Promise<void> {
  await until(
    async () => {
      const client = await IngestClient.connect({ url: target.ingestUrl, run: { name: 'after' } }).catch(() => null);
      if (!client) return false;
      await client.declare(built.layers, built.probe);
      assert.equal((await client.checkpoint(1, buildCheckpoint(built, 1))).step, 1);
      await client.end();
      await client.close();
      return true;
    },
    5000,
    'a trainer served',
  );
}

test('/live requests in flight are bounded per connection (--max-live-in-flight): the excess is answered RATE_LIMITED under its id', async () => {
  const small = await startTestServer({ connectionLimits: { maxLiveInFlight: 2 } });
  try {
    const c = await tcpWebSocket(small.liveUrl);
    // Five requests in one write: their handlers start before any answers, so three are over the limit.
    c.sock.write(
      Buffer.concat(
        [1, 2, 3, 4, 5].map((id) => clientTextFrame(JSON.stringify({ type: 'request', id, what: 'series', run: 'no-such-run', params: { name: 'loss' } }))),
      ),
    );
    await until(() => c.messages().filter((m) => m.type === 'response').length === 5, 5000, 'five responses');
    const responses = c.messages().filter((m) => m.type === 'response');
    assert.deepEqual(responses.map((m) => m.id).sort(), [1, 2, 3, 4, 5]);
    assert.equal(responses.filter((m) => m.code === 'RATE_LIMITED').length, 3);
    assert.equal(responses.filter((m) => m.code === 'RUN_NOT_FOUND').length, 2);
    c.sock.destroy();
  } finally {
    await small.close();
  }
});

test('the real Python client waits out SERVER_FULL and LIMIT_INFLIGHT_BYTES: it retries after a backoff and every checkpoint arrives', {
  skip: !existsSync(PYTHON) && 'no /usr/bin/python3',
  timeout: 120_000,
}, async () => {
  // Two trainer slots, both taken by Node trainers; one of them holds an open checkpoint (all the bytes in flight).
  const busy = await startTestServer({ connectionLimits: { maxIngestConnections: 2, maxInflightBytes: 4 * 3 * 16 } });
  try {
    const holder = await IngestClient.connect({ url: busy.ingestUrl, run: { name: 'holder' } });
    await holder.declare([{ name: 'l0', units: 3 }], { examples: 16 });
    holder.sendRaw(JSON.stringify({ type: 'checkpoint', step: 1, layers: ['l0'] }));
    const blocker = await IngestClient.connect({ url: busy.ingestUrl, run: { name: 'blocker' } });
    // Training goes on while the server is full (the client retries in the background); the checkpoints come once it is in.
    const script = [
      'import sys, time, numpy as np, layerwatch',
      'run = layerwatch.init(url=sys.argv[1], name="patient", backoff_max=0.5)',
      'until = time.monotonic() + 60',
      'while run.id is None and time.monotonic() < until:',
      '    time.sleep(0.05)',
      'for step in (1, 2, 3):',
      '    run.send_activations(step, {"h": np.random.default_rng(step).normal(size=(3, 16))})',
      'run.finish(timeout=60)',
      'print(run.id)',
    ].join('\n');
    const python = spawn(PYTHON, ['-c', script, busy.ingestUrl], { env: { ...process.env, PYTHONPATH: path.join(ROOT, 'clients/python') } });
    let stdout = '';
    let stderr = '';
    python.stdout.on('data', (d) => (stdout += d));
    python.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => python.once('exit', r));
    // Both slots are taken: the client is answered SERVER_FULL (it logs each server error) until the blocker leaves.
    await until(() => /server error SERVER_FULL/.test(stderr), 60_000, 'SERVER_FULL');
    await blocker.close();
    // Then its checkpoints get LIMIT_INFLIGHT_BYTES until the holder's open checkpoint is dropped with its connection.
    await until(() => /server error LIMIT_INFLIGHT_BYTES/.test(stderr), 30_000, `LIMIT_INFLIGHT_BYTES (python said: ${stderr})`);
    holder.terminate();
    assert.equal(await exited, 0, stderr);
    const id = stdout.trim().split('\n').at(-1)!;
    await until(() => busy.registry.index.get(id)?.status === 'finished', 10_000, 'the Python run finished');
    assert.equal(busy.registry.index.get(id)?.checkpoints, 3);
  } finally {
    await busy.close();
  }
});
