/** Distributed runs over real sockets: ranks attach to rank 0's run, only rank 0 sends activations, scalars combine per step. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient, type IngestError } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import type { Series } from '../../lib/protocol';
import { decodeRecord } from '../../server/runs/records';
import type { RunRecord } from '../../server/runs/run-state';
import { readRunLog } from '../../server/storage/run-log-reader';
import { startTestServer, until, type TestServer } from './helpers/server';

let server: TestServer;
before(async () => {
  server = await startTestServer();
});
after(async () => {
  await server.close();
});

const units = 3;
const examples = 6;
const frame = (seed: number) => Float32Array.from({ length: units * examples }, (_, i) => Math.cos(seed + i));

function rank(id: string, r: number, worldSize: number): Promise<IngestClient> {
  return IngestClient.connect({ url: server.ingestUrl, run: { id, rank: r, worldSize } });
}

/** One series as the server holds it now (a `series` request; snapshots may be reused for a second), or undefined. */
async function series(runId: string, name: string): Promise<Series | undefined> {
  const live = await LiveClient.connect({ url: server.liveUrl });
  try {
    const res = await live.request('series', runId, { name });
    return res.ok ? (res.data as Series) : undefined;
  } finally {
    live.close();
  }
}

async function status(runId: string): Promise<string | undefined> {
  const res = await fetch(`${server.url}/api/runs/${runId}`);
  return ((await res.json()) as { run?: { status?: string } }).run?.status;
}

async function records(runId: string): Promise<RunRecord[]> {
  const out: RunRecord[] = [];
  for await (const rec of readRunLog(path.join(server.dataDir, 'runs', runId, 'log.lwlog'))) {
    const r = decodeRecord(rec.kind, rec.time, rec.payload);
    if (r) out.push(r);
  }
  return out;
}

const events = (recs: RunRecord[], type: string) =>
  recs.flatMap((r) => (r.kind === 'event' && r.event.type === type ? [r.event as unknown as Record<string, unknown>] : []));

test('rank 1 attaches only to a run rank 0 streams; it may not send activations; scalars combine per step', async () => {
  const id = 'ddp-ranks-a';
  await assert.rejects(rank(id, 1, 2), (err: IngestError) => err.code === 'RUN_NOT_LIVE' && !err.fatal);

  const owner = await rank(id, 0, 2);
  assert.equal(owner.runId, id);
  await owner.declare([{ name: 'h', units }], { examples });
  await owner.checkpoint(0, [{ layer: 'h', data: frame(0), shape: [units, examples] }]);
  await assert.rejects(rank(id, 1, 3), (err: IngestError) => err.code === 'BAD_MESSAGE' && /worldSize 2/.test(err.message));
  const r1 = await rank(id, 1, 2);
  assert.equal(r1.runId, id);
  await assert.rejects(r1.checkpoint(5, [{ layer: 'h', data: frame(5), shape: [units, examples] }]), (err: IngestError) => err.code === 'NOT_OWNER');
  await assert.rejects(r1.log(5, { loss: 1 }), (err: IngestError) => err.code === 'BAD_MESSAGE' && /reduce/.test(err.message));

  // Rank 1 is ahead at step 10: nothing is combined until rank 0 gives its value.
  await r1.log(10, { loss: 3, tokens: 100 }, undefined, 'mean');
  await r1.log(10, { gpu: 50 }, undefined, 'none');
  assert.equal(await series(id, 'loss'), undefined);
  await owner.log(10, { loss: 1, tokens: 300 }, undefined, 'mean');
  await owner.log(10, { gpu: 70 }, undefined, 'none');
  await owner.log(10, { lr: 0.1 });
  await until(async () => (await series(id, 'loss')) !== undefined, 5000, 'the combined loss');
  assert.deepEqual(await series(id, 'loss'), { steps: [10], values: [2] });
  assert.deepEqual(await series(id, 'tokens'), { steps: [10], values: [200] });
  assert.deepEqual(await series(id, 'gpu{rank=0}'), { steps: [10], values: [70] });
  assert.deepEqual(await series(id, 'gpu{rank=1}'), { steps: [10], values: [50] });
  assert.deepEqual(await series(id, 'lr'), { steps: [10], values: [0.1] });
  assert.equal(await series(id, 'gpu'), undefined);

  // A resent value (after a reconnect) is a duplicate; rank 1 ends, and later steps combine from rank 0 alone.
  assert.equal((await r1.log(10, { loss: 3 }, undefined, 'mean')).duplicate, true);
  await r1.end();
  await owner.log(20, { loss: 5 }, undefined, 'mean');
  await owner.end();
  await Promise.all([owner.close(), r1.close()]);

  const recs = await records(id);
  const combined = events(recs, 'combined');
  assert.deepEqual(
    combined.map((c) => [c.step, c.values, c.ranks]),
    [
      [10, { loss: 2, tokens: 200 }, [0, 1]],
      [20, { loss: 5 }, [0]],
    ],
  );
  // Each rank's share is stored as received, stamped with its rank.
  const shares = recs.flatMap((r) =>
    r.kind === 'message' && r.message.type === 'scalars' && r.message.reduce === 'mean' ? [[r.message.rank, r.message.step, r.message.values.loss]] : [],
  );
  assert.deepEqual(shares, [
    [1, 10, 3],
    [0, 10, 1],
    [0, 20, 5],
  ]);
  assert.deepEqual(
    events(recs, 'rank').map((e) => [e.rank, e.state]),
    [
      [1, 'joined'],
      [1, 'ended'],
    ],
  );
  assert.equal(recs.filter((r) => r.kind === 'message' && r.message.type === 'checkpoint').length, 1, 'the one checkpoint of rank 0');
  assert.equal(await status(id), 'finished');
  assert.deepEqual(await series(id, 'loss'), { steps: [10, 20], values: [2, 5] });
});

test('rank 0 ends: the run waits for attached ranks, then combines their last values', async () => {
  const id = 'ddp-ranks-b';
  const owner = await rank(id, 0, 3);
  const [r1, r2] = await Promise.all([rank(id, 1, 3), rank(id, 2, 3)]);
  await owner.log(5, { loss: 1 }, undefined, 'mean');
  await r2.log(5, { loss: 2 }, undefined, 'mean');
  const ended = owner.end();
  // Rank 2 drops without end (the end no longer waits for it); rank 1 sends its value after rank 0's end, then ends.
  r2.terminate();
  await new Promise((r) => setTimeout(r, 100));
  await r1.log(5, { loss: 6 }, undefined, 'mean');
  await r1.end();
  await ended;
  await Promise.all([owner.close(), r1.close()]);
  const recs = await records(id);
  assert.deepEqual(
    events(recs, 'combined').map((c) => [c.step, c.values, c.ranks]),
    [[5, { loss: 3 }, [0, 1, 2]]],
  );
  assert.deepEqual(
    events(recs, 'rank')
      .map((e) => [e.rank, e.state])
      .sort(),
    [
      [1, 'ended'],
      [1, 'joined'],
      [2, 'joined'],
      [2, 'left'],
    ],
  );
});

test('a step waiting longer than options.distributed.waitMs is combined from the ranks that gave a value', async () => {
  const id = 'ddp-ranks-c';
  const owner = await IngestClient.connect({ url: server.ingestUrl, run: { id, rank: 0, worldSize: 2 }, options: { distributed: { waitMs: 150 } } });
  const r1 = await rank(id, 1, 2);
  await owner.log(1, { loss: 4 }, undefined, 'max');
  await until(async () => (await series(id, 'loss')) !== undefined, 10_000, 'the timed-out step');
  assert.deepEqual(await series(id, 'loss'), { steps: [1], values: [4] });
  // Rank 1's value for that step comes too late and is left out; the next step waits for both again.
  await r1.log(1, { loss: 9 }, undefined, 'max');
  await r1.log(2, { loss: 9 }, undefined, 'max');
  await owner.log(2, { loss: 1 }, undefined, 'max');
  await until(async () => (await series(id, 'loss'))?.steps.length === 2, 5000, 'step 2');
  assert.deepEqual(await series(id, 'loss'), { steps: [1, 2], values: [4, 9] });
  await r1.end();
  await owner.end();
  await Promise.all([owner.close(), r1.close()]);
});

test('scalars with reduce on a run that is not distributed are refused', async () => {
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'single' } });
  await assert.rejects(client.log(1, { loss: 1 }, undefined, 'mean'), (err: IngestError) => err.code === 'BAD_MESSAGE');
  await assert.rejects(
    IngestClient.connect({ url: server.ingestUrl, run: { rank: 1, worldSize: 2 } }),
    (err: IngestError) => err.code === 'HELLO_REQUIRED' && /run\.id/.test(err.message),
  );
  await client.end();
  await client.close();
});
