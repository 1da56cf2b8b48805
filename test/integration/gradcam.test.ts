/** Grad-CAM frames on a real server: acks, every refusal with its code (nothing stored), the live delta, the `gradcam` request live, ended, after a restart and after export and import. */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { encodeFrame, GradcamView } from '../../lib/protocol';
import { Rng } from '../../lib/random';
import { importRun } from '../../server/runs/import-run';
import { startTestServer, tempDir, type TestServer } from './helpers/server';

const M = 10;
const SIZE = { h: 4, w: 4, channels: 1 } as const;
const CONV = { name: 'conv', units: 2, kind: 'conv' as const };
const labels = Array.from({ length: M }, (_, e) => e % 3);
const EXAMPLES = [1, 4, 7];
const rng = new Rng(3);
const images = Float32Array.from({ length: M * 16 }, () => rng.next());
/** Maps per step: [3 examples, 2 targets, 2, 2], one all-zero map at step 20. */
const maps = new Map<number, Float32Array>([
  [10, Float32Array.from({ length: 24 }, () => rng.next() * 3)],
  [20, Float32Array.from({ length: 24 }, (_, i) => (i < 4 ? 0 : rng.next()))],
]);
const classes = [0, 2, 1, 1, 1, 0];

let server: TestServer;
let trainer: IngestClient;

async function ask(run: string, params: Record<string, number> = {}) {
  const live = await LiveClient.connect({ url: server.liveUrl });
  try {
    const res = await live.request('gradcam', run, params);
    assert.equal(res.ok, true, res.message);
    return res.data === null ? null : GradcamView.parse(res.data);
  } finally {
    live.close();
  }
}

before(async () => {
  server = await startTestServer();
  trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'gradcam' } });
  await trainer.declare([CONV], { examples: M, labels, classNames: ['a', 'b', 'c'], imageSize: SIZE });
  await trainer.sendImages(images, [M, 4, 4, 1]);
});
after(async () => {
  await server?.close();
});

test('each checkpoint’s maps are acknowledged with their step and announced to viewers', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${trainer.runId}`);
  const delta = live.waitFor((m) => m.type === 'delta' && m.run?.kind === 'gradcam' && m.run.step === 20);
  for (const [step, data] of maps) {
    await trainer.checkpoint(step, [{ layer: 'conv', data: Float32Array.from({ length: 2 * M }, () => rng.next()), shape: [2, M] }]);
    const ack = await trainer.sendGradcam(step, 'conv2', EXAMPLES, classes, data, [3, 2, 2, 2]);
    assert.equal(ack.of, 'gradcam');
    assert.equal(ack.step, step);
  }
  const got = await delta;
  assert.ok(got.type === 'delta' && got.run?.kind === 'gradcam' && got.run.layer === 'conv2');
  live.close();
});

test('frames that disagree with the run are refused with their code and nothing is stored', async () => {
  const bytes = async () => (await server.registry.load(trainer.runId))!.meta.bytes;
  const stored = await bytes();
  const send = (step: number, layer: string, examples: number[] | undefined, cls: number[] | undefined, data: Float32Array, shape: number[]) => {
    trainer.sendRaw(encodeFrame({ step, layer, shape, kind: 'gradcam', ...(examples ? { examples } : {}), ...(cls ? { classes: cls } : {}) }, data));
    return (trainer as unknown as { expect(of: string): Promise<unknown> }).expect('gradcam');
  };
  const ok = maps.get(10)!;
  await assert.rejects(send(15, '__gradcam__:conv2', EXAMPLES, classes, ok, [3, 2, 2, 2]), /UNEXPECTED_FRAME.*step 15/);
  await assert.rejects(send(10, 'gradcam', EXAMPLES, classes, ok, [3, 2, 2, 2]), /BAD_FRAME.*__gradcam__/);
  await assert.rejects(send(10, '__gradcam__:conv2', [1, 4, 10], classes, ok, [3, 2, 2, 2]), /PROBE_MISMATCH.*example 10/);
  await assert.rejects(send(10, '__gradcam__:conv2', [1, 4, 4], classes, ok, [3, 2, 2, 2]), /PROBE_MISMATCH.*twice/);
  await assert.rejects(send(10, '__gradcam__:conv2', EXAMPLES, [0, 3, 1, 1, 1, 0], ok, [3, 2, 2, 2]), /PROBE_MISMATCH.*class 3/);
  await assert.rejects(send(10, '__gradcam__:conv2', EXAMPLES, classes.slice(0, 3), ok, [3, 2, 2, 2]), /SHAPE_MISMATCH/);
  await assert.rejects(
    send(
      10,
      '__gradcam__:conv2',
      EXAMPLES,
      classes,
      ok.map((v, i) => (i === 5 ? -1 : v)),
      [3, 2, 2, 2],
    ),
    /BAD_FRAME.*≥ 0/,
  );
  await assert.rejects(
    send(
      10,
      '__gradcam__:conv2',
      EXAMPLES,
      classes,
      ok.map((v, i) => (i === 5 ? NaN : v)),
      [3, 2, 2, 2],
    ),
    /BAD_FRAME.*NaN/,
  );
  await send(10, '__gradcam__:conv2', [1, 4], classes.slice(0, 4), ok.subarray(0, 16), [2, 2, 2, 2]); // a valid two-example frame
  await assert.rejects(send(10, '__gradcam__:conv2', undefined, undefined, ok, [3, 2, 2, 2]), /BAD_FRAME.*examples/);
  // Every dimension within its bound, the whole over MAX_GRADCAM_VALUES (10 MB of maps).
  const all = Array.from({ length: M }, (_, e) => e);
  await assert.rejects(
    send(10, '__gradcam__:conv2', all, Array(4 * M).fill(0), new Float32Array(M * 4 * 256 * 256), [M, 4, 256, 256]),
    /SHAPE_MISMATCH.*2621440 values; the limit is 1048576/,
  );
  // Only the valid frame was stored.
  const grown = (await bytes()) - stored;
  assert.ok(grown > 0 && grown < 400, `stored ${grown} bytes`);
  // Put step 10 back as it was (a later frame for a step replaces the earlier one).
  await trainer.sendGradcam(10, 'conv2', EXAMPLES, classes, ok, [3, 2, 2, 2]);
});

/** What the request must answer for a step: each map scaled by its peak, the classes, labels and pixels. */
function check(view: GradcamView | null, step: number) {
  assert.ok(view);
  assert.equal(view.step, step);
  assert.deepEqual(view.steps, [10, 20]);
  assert.equal(view.layer, 'conv2');
  assert.deepEqual([view.h, view.w, view.targets], [2, 2, 2]);
  assert.deepEqual(view.imageSize, SIZE);
  const data = maps.get(step)!;
  view.examples.forEach((x, i) => {
    assert.equal(x.example, EXAMPLES[i]);
    assert.deepEqual(x.classes, classes.slice(2 * i, 2 * i + 2));
    assert.equal(x.label, labels[x.example]);
    assert.equal(x.pixels, Buffer.from(Array.from(images.subarray(x.example * 16, (x.example + 1) * 16), (v) => Math.round(v * 255))).toString('base64'));
    for (let t = 0; t < 2; t++) {
      const values = data.subarray((i * 2 + t) * 4, (i * 2 + t + 1) * 4);
      const peak = Math.max(...values);
      assert.equal(x.peaks[t], peak);
      assert.deepEqual(
        [...Buffer.from(x.maps[t], 'base64')],
        Array.from(values, (v) => (peak > 0 ? Math.round((255 * v) / peak) : 0)),
      );
    }
  });
}

test('the request answers the newest step at or before the one asked, live, ended and after a restart', async () => {
  check(await ask(trainer.runId), 20);
  check(await ask(trainer.runId, { step: 15 }), 10);
  const early = await ask(trainer.runId, { step: 5 });
  assert.equal(early?.step, null);
  assert.deepEqual(early?.examples, []);
  await trainer.end();
  await trainer.close();
  check(await ask(trainer.runId, { step: 10 }), 10);
  const { dataDir } = server;
  await server.close();
  server = await startTestServer({ dataDir });
  check(await ask(trainer.runId), 20);
  check(await ask(trainer.runId, { step: 19 }), 10);
});

test('an exported run carries its maps: imported into another data directory (checked like every import), it answers the same', async () => {
  const res = await fetch(`${server.url}/api/runs/${trainer.runId}/log`);
  assert.equal(res.status, 200);
  const dir = await tempDir();
  const file = path.join(dir, 'gradcam.lwlog');
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  const meta = await importRun(path.join(dir, 'data'), file);
  const other = await startTestServer({ dataDir: path.join(dir, 'data') });
  const main = server;
  server = other;
  try {
    check(await ask(meta.id), 20);
    check(await ask(meta.id, { step: 10 }), 10);
  } finally {
    server = main;
    await other.close();
  }
});

test('a run without maps answers null, and bad params are BAD_REQUEST', async () => {
  const other = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'no-gradcam' } });
  await other.declare([CONV], { examples: M });
  await other.checkpoint(1, [{ layer: 'conv', data: new Float32Array(2 * M), shape: [2, M] }]);
  assert.equal(await ask(other.runId), null);
  const live = await LiveClient.connect({ url: server.liveUrl });
  const res = await live.request('gradcam', other.runId, { step: -1 });
  assert.equal(res.ok, false);
  assert.equal(res.code, 'BAD_REQUEST');
  live.close();
  await other.end();
  await other.close();
});
