/** Probe images and the `unit-examples` request on a real server: top-k order and exact pixels for dense and spatial layers, runs without images, error codes, and a restart. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { encodeFrame, UnitExamples } from '../../lib/protocol';
import { Rng } from '../../lib/random';
import { startTestServer, type TestServer } from './helpers/server';

const M = 20;
const SIZE = { h: 4, w: 5, channels: 3 } as const;
const PER = SIZE.h * SIZE.w * SIZE.channels;
const CONV = { name: 'conv', units: 3, kind: 'conv' as const, spatial: { h: 2, w: 3 } };
const FC = { name: 'fc', units: 4, kind: 'dense' as const };
const CLASS_NAMES = ['cat', 'dog', 'eel'];
const labels = Array.from({ length: M }, (_, e) => e % 3);

const rng = new Rng(7);
const images = Float32Array.from({ length: M * PER }, () => rng.next());
/** Activations per step: conv [3, M, 2, 3] and fc [4, M]; fc unit 2 at step 10 has a tie (examples 4 and 9). */
const acts = new Map<number, { conv: Float32Array; fc: Float32Array }>();
for (const step of [10, 20]) {
  const conv = Float32Array.from({ length: CONV.units * M * 6 }, () => rng.next() * 4 - 2);
  const fc = Float32Array.from({ length: FC.units * M }, () => rng.next() * 2 - 1);
  acts.set(step, { conv, fc });
}
acts.get(10)!.fc[2 * M + 4] = 5;
acts.get(10)!.fc[2 * M + 9] = 5;

let server: TestServer;
/** The run with images stays live (answered from the live analysis) until the restart test ends it. */
let trainer: IngestClient;
let withImages: string;
let plain: string;

/** The expected top k of a unit: values per example (max over positions), highest first, ties to the lower example. */
function expectedTop(data: Float32Array, unit: number, positions: number, k: number): Array<{ example: number; value: number }> {
  const values = Array.from({ length: M }, (_, e) => Math.max(...data.subarray((unit * M + e) * positions, (unit * M + e + 1) * positions)));
  return values
    .map((value, example) => ({ example, value }))
    .sort((a, b) => b.value - a.value || a.example - b.example)
    .slice(0, k);
}

function expectedPixels(e: number): string {
  return Buffer.from(Array.from(images.subarray(e * PER, (e + 1) * PER), (x) => Math.round(x * 255))).toString('base64');
}

async function ask(url: string, run: string, params: Record<string, string | number | boolean>) {
  const live = await LiveClient.connect({ url });
  try {
    return await live.request('unit-examples', run, params);
  } finally {
    live.close();
  }
}

async function streamRun(name: string, sendImages: boolean): Promise<IngestClient> {
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name } });
  await client.declare([CONV, FC], { examples: M, labels, classNames: CLASS_NAMES, ...(sendImages ? { imageSize: SIZE } : {}) });
  if (sendImages) await client.sendImages(images, [M, SIZE.h, SIZE.w, SIZE.channels], 7);
  for (const [step, a] of acts) {
    await client.checkpoint(step, [
      { layer: 'conv', data: a.conv, shape: [CONV.units, M, 2, 3] },
      { layer: 'fc', data: a.fc, shape: [FC.units, M] },
    ]);
  }
  return client;
}

before(async () => {
  server = await startTestServer();
  trainer = await streamRun('with-images', true);
  withImages = trainer.runId;
  const other = await streamRun('no-images', false);
  plain = other.runId;
  await other.end();
  await other.close();
});
after(async () => {
  await server?.close();
});

test('dense layer: the top k in order with their values, labels and exact pixels', async () => {
  const res = await ask(server.liveUrl, withImages, { layer: 'fc', unit: 2, step: 10, k: 5 });
  assert.equal(res.ok, true, res.message);
  const data = UnitExamples.parse(res.data);
  const want = expectedTop(acts.get(10)!.fc, 2, 1, 5);
  assert.deepEqual(
    data.examples.map((x) => x.example),
    want.map((x) => x.example),
  );
  assert.deepEqual(
    data.examples.slice(0, 2).map((x) => x.example),
    [4, 9],
    'a tie goes to the lower example',
  );
  assert.deepEqual(
    data.examples.map((x) => x.value),
    want.map((x) => x.value),
  );
  assert.deepEqual(data.imageSize, SIZE);
  assert.equal(data.pooling, 'none');
  assert.equal(data.step, 10);
  for (const x of data.examples) {
    assert.equal(x.pixels, expectedPixels(x.example), `pixels of example ${x.example}`);
    assert.equal(Buffer.from(x.pixels!, 'base64').length, PER);
    assert.equal(x.label, labels[x.example]);
    assert.equal(x.className, CLASS_NAMES[labels[x.example]]);
  }
});

test('spatial layer: examples ranked by their maximum over h × w; the newest step by default; k past m gives all', async () => {
  const res = await ask(server.liveUrl, withImages, { layer: 'conv', unit: 1 });
  assert.equal(res.ok, true, res.message);
  const data = UnitExamples.parse(res.data);
  assert.equal(data.step, 20);
  assert.equal(data.pooling, 'max');
  const want = expectedTop(acts.get(20)!.conv, 1, 6, 12);
  assert.deepEqual(
    data.examples.map((x) => [x.example, x.value]),
    want.map((x) => [x.example, x.value]),
  );
  for (const x of data.examples) assert.equal(x.pixels, expectedPixels(x.example));
  const all = UnitExamples.parse((await ask(server.liveUrl, withImages, { layer: 'conv', unit: 0, step: 10, k: 64 })).data);
  assert.deepEqual(
    all.examples.map((x) => x.example),
    expectedTop(acts.get(10)!.conv, 0, 6, M).map((x) => x.example),
  );
});

test('a run without images answers the examples without pixels', async () => {
  const res = await ask(server.liveUrl, plain, { layer: 'fc', unit: 2, step: 10, k: 3 });
  assert.equal(res.ok, true, res.message);
  const data = UnitExamples.parse(res.data);
  assert.deepEqual(
    data.examples.map((x) => x.example),
    expectedTop(acts.get(10)!.fc, 2, 1, 3).map((x) => x.example),
  );
  assert.equal(data.imageSize, undefined);
  assert.ok(data.examples.every((x) => x.pixels === undefined && x.className !== undefined));
});

test('bad requests get their codes', async () => {
  const cases: Array<[string, Record<string, string | number | boolean>, string]> = [
    ['nope', { layer: 'fc', unit: 0 }, 'RUN_NOT_FOUND'],
    [withImages, { layer: 'fc2', unit: 0 }, 'UNKNOWN_LAYER'],
    [withImages, { layer: 'fc', unit: 4 }, 'BAD_REQUEST'],
    [withImages, { layer: 'fc', unit: 0, step: 15 }, 'BAD_REQUEST'],
    [withImages, { layer: 'fc', unit: 0, k: 65 }, 'BAD_REQUEST'],
    [withImages, { layer: 'fc', unit: 1.5 }, 'BAD_REQUEST'],
    [withImages, { layer: 'fc' }, 'BAD_REQUEST'],
  ];
  for (const [run, params, code] of cases) {
    const res = await ask(server.liveUrl, run, params);
    assert.equal(res.ok, false, `${run} ${JSON.stringify(params)}`);
    assert.equal(res.code, code, `${run} ${JSON.stringify(params)}: ${res.message}`);
    assert.ok(res.message && res.message.length > 10);
  }
});

test('images frames that do not match the probe are PROBE_MISMATCH and nothing is stored', async () => {
  const noSize = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'no-size' } });
  await noSize.declare([FC], { examples: M });
  await assert.rejects(noSize.sendImages(images, [M, SIZE.h, SIZE.w, SIZE.channels]), /PROBE_MISMATCH.*imageSize/);
  await noSize.close();

  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'bad-images' } });
  await client.declare([FC], { examples: M, imageSize: SIZE });
  const bytes = async () => (await server.registry.load(client.runId))!.meta.bytes;
  const stored = await bytes();
  const send = (layer: string, shape: number[], data: Float32Array) =>
    new Promise<void>((resolve, reject) => {
      client.sendRaw(encodeFrame({ step: 0, layer, shape, kind: 'images' }, data));
      // Replies come in order: the next one answers this frame (the client's ack queue, as sendImages uses it).
      (client as unknown as { expect(of: string): Promise<unknown> }).expect('images').then(() => resolve(), reject);
    });
  await assert.rejects(send('__images__', [M, SIZE.w, SIZE.h, 3], images), /PROBE_MISMATCH.*\[examples, 4, 5, 3\]/);
  await assert.rejects(send('__images__', [M, SIZE.h, SIZE.w, 1], images.subarray(0, M * 20)), /PROBE_MISMATCH/);
  await assert.rejects(send('__images__@7', [2, SIZE.h, SIZE.w, 3], images.subarray(0, 2 * PER)), /PROBE_MISMATCH.*next expected is 0/);
  await assert.rejects(send('__images__', [M + 1, SIZE.h, SIZE.w, 3], new Float32Array((M + 1) * PER)), /PROBE_MISMATCH.*the probe has 20/);
  await assert.rejects(send('__images__', [1, SIZE.h, SIZE.w, 3], new Float32Array(PER).fill(1.5)), /PROBE_MISMATCH.*\[0, 1\]/);
  await assert.rejects(send('__images__', [1, SIZE.h, SIZE.w, 3], new Float32Array(PER).fill(NaN)), /PROBE_MISMATCH.*\[0, 1\]/);
  await assert.rejects(send('__imgs__', [1, SIZE.h, SIZE.w, 3], new Float32Array(PER)), /PROBE_MISMATCH.*__images__/);
  assert.equal(await bytes(), stored, 'nothing was stored');
  await send('__images__', [1, SIZE.h, SIZE.w, 3], images.subarray(0, PER));
  assert.ok((await bytes()) > stored);
  await client.close();
});

test('the ended run and, after a restart, the stored log answer as the live run did', async () => {
  const params = { layer: 'conv', unit: 2, step: 10, k: 8 };
  const first = await ask(server.liveUrl, withImages, params);
  assert.equal(first.ok, true, first.message);
  await trainer.end();
  await trainer.close();
  assert.deepEqual((await ask(server.liveUrl, withImages, params)).data, first.data);
  const dense = await ask(server.liveUrl, plain, { layer: 'fc', unit: 0 });
  const { dataDir } = server;
  await server.close();
  server = await startTestServer({ dataDir });
  const again = await ask(server.liveUrl, withImages, params);
  assert.equal(again.ok, true, again.message);
  assert.deepEqual(again.data, first.data);
  assert.deepEqual(
    UnitExamples.parse(again.data).examples.map((x) => x.example),
    expectedTop(acts.get(10)!.conv, 2, 6, 8).map((x) => x.example),
  );
  assert.deepEqual((await ask(server.liveUrl, plain, { layer: 'fc', unit: 0 })).data, dense.data);
});
