/** The trainer's "frozen" confirmation: acknowledged, stored once per layer, shown in the snapshot, kept across a restart and in replay. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { IngestClient, type IngestError } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import type { RunSnapshot } from '../../lib/protocol';
import { startTestServer } from './helpers/server';

const units = 4;
const examples = 8;
const frame = (seed: number) => Float32Array.from({ length: units * examples }, (_, i) => Math.sin(seed * 7 + i));

async function snapshot(url: string, runId: string): Promise<RunSnapshot> {
  const live = await LiveClient.connect({ url });
  try {
    live.subscribe(`run:${runId}`);
    const snap = await live.waitFor((m) => m.type === 'snapshot');
    return (snap as { run: RunSnapshot }).run;
  } finally {
    live.close();
  }
}

async function runAt(url: string, runId: string, step: number): Promise<RunSnapshot> {
  const live = await LiveClient.connect({ url });
  try {
    const res = await live.request('run-at', runId, { step });
    assert.equal(res.ok, true);
    return res.data as RunSnapshot;
  } finally {
    live.close();
  }
}

test('a frozen layer is confirmed by the trainer, stored once, and survives a restart and replay', async () => {
  const server = await startTestServer();
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'frozen-ack' } });
  const runId = client.runId;
  await client.declare(
    [
      { name: 'h1', units },
      { name: 'h2', units },
    ],
    { examples },
  );
  for (const step of [0, 10, 20])
    await client.checkpoint(step, [
      { layer: 'h1', data: frame(step), shape: [units, examples] },
      { layer: 'h2', data: frame(step + 1), shape: [units, examples] },
    ]);

  const ack = await client.reportFrozen('h1', 12);
  assert.deepEqual([ack.of, ack.step, ack.duplicate], ['frozen', 12, undefined]);
  const again = await client.reportFrozen('h1', 15);
  assert.equal(again.duplicate, true, 'a second confirmation of the same layer is acknowledged as a duplicate');
  await assert.rejects(client.reportFrozen('nope', 15), (err: IngestError) => err.code === 'UNKNOWN_LAYER');

  const live = await snapshot(server.liveUrl, runId);
  assert.deepEqual(live.frozen, [{ layer: 'h1', step: 12 }]);
  await client.checkpoint(30, [
    { layer: 'h1', data: frame(30), shape: [units, examples] },
    { layer: 'h2', data: frame(31), shape: [units, examples] },
  ]);
  await client.end();
  await client.close();

  // Stored once, as the trainer's message in the run log.
  const log = await readFile(path.join(server.dataDir, 'runs', runId, 'log.lwlog'));
  assert.equal(log.toString('latin1').split('"type":"frozen"').length - 1, 1);
  const dataDir = server.dataDir;
  await server.close();

  // A restarted server rebuilds it from the log (the same RunState code as live); replay at a step shows it from its step on.
  const restarted = await startTestServer({ dataDir });
  try {
    assert.deepEqual((await snapshot(restarted.liveUrl, runId)).frozen, [{ layer: 'h1', step: 12 }]);
    assert.deepEqual((await runAt(restarted.liveUrl, runId, 10)).frozen, [], 'not yet frozen at step 10');
    assert.deepEqual((await runAt(restarted.liveUrl, runId, 20)).frozen, [{ layer: 'h1', step: 12 }]);
  } finally {
    await restarted.close();
  }
});
