/** Sketch frames on /ingest: a run sent as sketches gives the raw run's svcca-k; frames that are not sketches are refused with their code. */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { IngestClient } from '../../clients/node/ingest-client';
import { encodeFrame, type ConvergenceGrid } from '../../lib/protocol';
import { gaussianMatrix, Rng } from '../../lib/analysis';
import { sketchActivations } from '../../lib/analysis/sketch';
import { readRunLog } from '../../server/storage/run-log-reader';
import { startTestServer, until, type TestServer } from './helpers/server';
import { viewRun } from './helpers/run-viewer';

let server: TestServer;
before(async () => {
  server = await startTestServer({ liveMetrics: ['svcca-k', 'cka', 'pwcca'] });
});
after(async () => {
  await server.close();
});

const UNITS = 40;
const M = 60;
const STEPS = [0, 10, 20, 30];

/** Layer l at checkpoint c: a fixed start plus a growing seeded drift (units × M). */
function acts(l: number, c: number): Float32Array {
  const start = gaussianMatrix(new Rng(100 + l), UNITS, M);
  const drift = gaussianMatrix(new Rng(200 + l), UNITS, M);
  return Float32Array.from(start, (v, i) => v + 0.4 * c * drift[i]);
}

async function sendRun(name: string, sketch?: number, rawAt?: number): Promise<string> {
  const c = await IngestClient.connect({ url: server.ingestUrl, run: { name }, options: { analysis: { k: 5 } }, ...(sketch ? { sketch } : {}) });
  await c.declare(
    [0, 1].map((l) => ({ name: `h${l}`, units: UNITS })),
    { examples: M },
  );
  for (const [i, step] of STEPS.entries()) {
    const layers = [0, 1].map((l) => ({ layer: `h${l}`, data: acts(l, i), shape: [UNITS, M] }));
    if (step === rawAt) {
      // A sketched layer may come raw at some checkpoints: listed in the checkpoint's "raw".
      const frames = layers.map((x) => encodeFrame({ run: c.runId, step, layer: x.layer, shape: x.shape }, x.data));
      await c.sendCheckpointFrames(step, ['h0', 'h1'], frames, undefined, ['h0', 'h1']);
    } else await c.checkpoint(step, layers);
  }
  await c.end();
  await c.close();
  return c.runId;
}

async function grids(id: string): Promise<Record<string, ConvergenceGrid>> {
  await server.analysis.idle();
  const view = await viewRun(server.liveUrl, id);
  view.close();
  return view.grids;
}

test('a run sent as sketches: svcca-k equal to the raw run within 1e-6, approximate CKA, no PWCCA; sketches stored as sent', async () => {
  const raw = await grids(await sendRun('raw'));
  const id = await sendRun('sketched', 8, 20);
  const sk = await grids(id);
  for (let l = 0; l < 2; l++) {
    for (let c = 0; c < STEPS.length; c++) {
      const want = raw['svcca-k'].toNewest[l][c]!;
      assert.ok(Math.abs(sk['svcca-k'].toNewest[l][c]! - want) <= 1e-6, `svcca-k h${l} c${c}: ${sk['svcca-k'].toNewest[l][c]} vs ${want}`);
      assert.equal(sk['svcca-k'].k[l][c], 5);
      const cka = sk.cka.toNewest[l][c]!;
      assert.ok(cka > 0 && cka <= 1 + 1e-9, `cka from sketches is a similarity (${cka})`);
      assert.equal(sk.pwcca.toNewest[l][c], null, 'pwcca needs raw activations');
      assert.notEqual(raw.pwcca.toNewest[l][c], null);
    }
    assert.equal(sk.cka.toNewest[l][STEPS.length - 1], 1, 'a layer is its own reference');
  }
  const kinds: string[] = [];
  for await (const rec of readRunLog(path.join(server.dataDir, 'runs', id, 'log.lwlog'), { strict: true })) {
    if (rec.kind !== 2) continue;
    const len = rec.payload.readUInt32LE(4);
    const head = JSON.parse(rec.payload.subarray(8, 8 + len).toString('utf8'));
    kinds.push(`${head.kind ?? 'activations'}:${head.shape.join('x')}`);
  }
  assert.deepEqual(kinds, ['sketch:8x60', 'sketch:8x60', 'sketch:8x60', 'sketch:8x60', 'activations:40x60', 'activations:40x60', 'sketch:8x60', 'sketch:8x60']);
});

// ---- refused frames ------------------------------------------------------------------------------------------------

interface Raw {
  ws: WebSocket;
  runId: string;
  next(): Promise<Record<string, unknown>>;
}

async function openSketchRun(name: string): Promise<Raw> {
  const ws = new WebSocket(server.ingestUrl);
  const msgs: Array<Record<string, unknown>> = [];
  let read = 0;
  ws.on('message', (d) => msgs.push(JSON.parse(String(d))));
  await new Promise((r) => ws.once('open', r));
  const next = async () => {
    await until(() => msgs.length > read, 5000, 'a reply');
    return msgs[read++];
  };
  ws.send(JSON.stringify({ type: 'hello', protocol: 1, run: { name } }));
  const welcome = await next();
  ws.send(
    JSON.stringify({
      type: 'layers',
      layers: [
        { name: 's', units: UNITS, sketch: 4 },
        { name: 'd', units: 6 },
      ],
    }),
  );
  ws.send(JSON.stringify({ type: 'probe', examples: M }));
  assert.equal((await next()).of, 'layers');
  assert.equal((await next()).of, 'probe');
  return { ws, runId: welcome.runId as string, next };
}

const good = sketchActivations({ data: acts(0, 0), units: UNITS, examples: M }, 4);
const dense = new Float32Array(6 * M).map((_, i) => Math.sin(i));

function send(c: Raw, step: number, sketchFrame: Uint8Array, opts: { raw?: string[]; dense?: Uint8Array } = {}) {
  c.ws.send(JSON.stringify({ type: 'checkpoint', step, layers: ['s', 'd'], ...(opts.raw ? { raw: opts.raw } : {}) }));
  c.ws.send(sketchFrame);
  c.ws.send(opts.dense ?? encodeFrame({ run: c.runId, step, layer: 'd', shape: [6, M] }, dense));
}

function sketchFrame(step: number, singular: number[], basis: Float32Array, total = good.total, k = singular.length) {
  return encodeFrame({ step, layer: 's', shape: [k, M], kind: 'sketch', sketch: { singular, total } }, basis);
}

test('frames that are not sketches: BAD_SKETCH or SHAPE_MISMATCH, the checkpoint discarded; the next good one is stored', async () => {
  const c = await openSketchRun('bad-sketches');
  const basis = Float32Array.from(good.basis);
  const sv = Array.from(good.singular);
  const cases: Array<[string, () => void, string]> = [
    ['ascending singular values', () => send(c, 1, sketchFrame(1, [...sv].reverse(), basis)), 'BAD_SKETCH'],
    ['total below the singular values', () => send(c, 2, sketchFrame(2, sv, basis, 0.5 * sv.reduce((s, v) => s + v * v, 0))), 'BAD_SKETCH'],
    [
      'a basis row that is not unit length',
      () =>
        send(
          c,
          3,
          sketchFrame(
            3,
            sv,
            basis.map((v, i) => (i < M ? 2 * v : v)),
          ),
        ),
      'BAD_SKETCH',
    ],
    [
      'more directions than declared',
      () => send(c, 4, sketchFrame(4, [...sv, sv[3]], Float32Array.from([...basis, ...basis.subarray(0, M)]))),
      'SHAPE_MISMATCH',
    ],
    [
      'a raw frame for a sketched layer not listed in "raw"',
      () => send(c, 5, encodeFrame({ step: 5, layer: 's', shape: [UNITS, M] }, acts(0, 0))),
      'SHAPE_MISMATCH',
    ],
    [
      'a sketch for a layer not declared as sketches',
      () =>
        send(c, 6, sketchFrame(6, sv, basis), {
          dense: encodeFrame({ step: 6, layer: 'd', shape: [4, M], kind: 'sketch', sketch: { singular: sv, total: good.total } }, basis),
        }),
      'SHAPE_MISMATCH',
    ],
  ];
  for (const [what, act, code] of cases) {
    act();
    const err = await c.next();
    assert.deepEqual([err.type, err.code, err.of, err.fatal], ['error', code, 'checkpoint', false], what);
    assert.ok(String(err.message).length < 300 && !String(err.message).includes('\n'), `${what}: one line`);
  }
  c.ws.send(JSON.stringify({ type: 'checkpoint', step: 7, layers: ['s', 'd'], raw: ['d'] }));
  const err = await c.next();
  assert.deepEqual([err.code, err.of], ['BAD_MESSAGE', 'checkpoint'], '"raw" names only sketched layers');
  send(c, 8, sketchFrame(8, sv, basis));
  assert.deepEqual(await c.next(), { type: 'ack', of: 'checkpoint', step: 8 });
  send(c, 9, encodeFrame({ step: 9, layer: 's', shape: [UNITS, M] }, acts(0, 1)), { raw: ['s'] });
  assert.deepEqual(await c.next(), { type: 'ack', of: 'checkpoint', step: 9 });
  c.ws.close();
  await until(() => server.registry.peek(c.runId)?.steps.length === 2, 5000, 'two checkpoints stored');
  assert.deepEqual(server.registry.peek(c.runId)!.steps, [8, 9]);
});
