/** A run streamed through /ingest is stored, listed and replayed record for record as sent. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { encodeFrame } from '../../lib/protocol';
import { readRunLog } from '../../server/storage/run-log-reader';
import { buildCheckpoint, buildRun } from '../fixtures/build-run';
import { CLI, startTestServer, type TestServer } from './helpers/server';

const run = promisify(execFile);
let server: TestServer;

before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

/** Sends messages one by one, waiting for each reply, and returns every frame sent (as bytes). */
async function streamRun(url: string): Promise<{ sent: Array<{ binary: boolean; bytes: Buffer }>; runId: string }> {
  const ws = new WebSocket(url);
  const replies: Array<Record<string, unknown>> = [];
  let wake: (() => void) | null = null;
  ws.on('message', (d) => {
    replies.push(JSON.parse(String(d)));
    wake?.();
  });
  await new Promise((r) => ws.once('open', r));
  const sent: Array<{ binary: boolean; bytes: Buffer }> = [];
  const send = (data: string | Uint8Array) => {
    const bytes = Buffer.from(typeof data === 'string' ? Buffer.from(data) : data);
    sent.push({ binary: typeof data !== 'string', bytes });
    ws.send(data);
  };
  const reply = async () => {
    while (!replies.length) await new Promise<void>((r) => (wake = r));
    return replies.shift()!;
  };
  const built = buildRun({ layers: 2, units: 6, examples: 12 });
  send(JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'roundtrip', project: 'tests', config: { lr: 0.001, note: 'ünïcödé' } } }));
  const welcome = await reply();
  assert.equal(welcome.type, 'welcome');
  const runId = welcome.runId as string;
  send(JSON.stringify({ type: 'layers', layers: built.layers }));
  assert.deepEqual(await reply(), { type: 'ack', of: 'layers' });
  send(JSON.stringify({ type: 'probe', ...built.probe }));
  assert.deepEqual(await reply(), { type: 'ack', of: 'probe' });
  for (const step of [10, 20, 30]) {
    send(JSON.stringify({ type: 'scalars', step, values: { loss: 1 / step, acc: step / 100 } }));
    assert.equal((await reply()).of, 'scalars');
    const frames = buildCheckpoint(built, step);
    send(JSON.stringify({ type: 'checkpoint', step, layers: frames.map((f) => f.layer) }));
    for (const f of frames) send(encodeFrame({ run: runId, step, layer: f.layer, shape: f.shape }, f.data));
    assert.deepEqual(await reply(), { type: 'ack', of: 'checkpoint', step });
  }
  send(JSON.stringify({ type: 'end', status: 'finished' }));
  assert.deepEqual(await reply(), { type: 'ack', of: 'end' });
  ws.close();
  return { sent, runId };
}

test('a streamed run is stored, listed and replayed record for record', async () => {
  const { sent, runId } = await streamRun(server.ingestUrl);
  const logFile = path.join(server.dataDir, 'runs', runId, 'log.lwlog');

  const stored: Array<{ binary: boolean; bytes: Buffer }> = [];
  for await (const rec of readRunLog(logFile)) {
    if (rec.kind === 1 || rec.kind === 2) stored.push({ binary: rec.kind === 2, bytes: Buffer.from(rec.payload) });
  }
  assert.equal(stored.length, sent.length);
  stored.forEach((s, i) => {
    assert.equal(s.binary, sent[i].binary, `record ${i} kind`);
    assert.ok(s.bytes.equals(sent[i].bytes), `record ${i} bytes differ`);
  });

  const replayed: Array<{ kind: number; time: number; bytes: Buffer }> = [];
  for await (const rec of readRunLog(logFile)) replayed.push({ kind: rec.kind, time: rec.time, bytes: Buffer.from(rec.payload) });
  const trainer = replayed.filter((r) => r.kind === 1 || r.kind === 2);
  assert.equal(trainer.length, sent.length);
  trainer.forEach((r, i) => assert.ok(r.bytes.equals(sent[i].bytes), `replayed record ${i} differs`));
  for (let i = 1; i < replayed.length; i++) assert.ok(replayed[i].time >= replayed[i - 1].time, 'replay keeps original time order');

  const { stdout } = await run(process.execPath, [CLI, 'runs', '--data', server.dataDir, '--json']);
  const listed = JSON.parse(stdout).runs.find((r: { id: string }) => r.id === runId);
  assert.deepEqual(
    { name: listed.name, status: listed.status, checkpoints: listed.checkpoints, lastStep: listed.lastStep },
    { name: 'roundtrip', status: 'finished', checkpoints: 3, lastStep: 30 },
  );
});

test('declarations may be pipelined with the first checkpoint', async () => {
  const { IngestClient } = await import('../../clients/node/ingest-client');
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'pipelined' } });
  const built = buildRun({ layers: 2, units: 4, examples: 8 });
  const declared = client.declare(built.layers, built.probe);
  const acks = await Promise.all([client.checkpoint(1, buildCheckpoint(built, 1)), client.checkpoint(2, buildCheckpoint(built, 2)), declared]);
  assert.deepEqual(
    acks.slice(0, 2).map((a) => [a!.of, a!.step]),
    [
      ['checkpoint', 1],
      ['checkpoint', 2],
    ],
  );
  await client.end();
  await client.close();
});
