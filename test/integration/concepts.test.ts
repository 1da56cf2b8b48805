/** Concept statistics on a real server: the simulator's planted detectors and emergence steps are found, stored, exported and reloaded; masks are validated and used. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { simulateRun } from '../../clients/node/simulate';
import { ConceptUnits, type ConceptState } from '../../lib/protocol';
import { planConcepts, plantedConcept } from '../../lib/sim/concepts';
import { planRun } from '../../lib/sim/synthetic-run';
import { CLI, startTestServer, until, type TestServer } from './helpers/server';

const exec = promisify(execFile);
const SIM = { seed: 5, layers: 4, units: 32, examples: 500, checkpoints: 16 };
const truth = planConcepts(planRun(SIM));
let server: TestServer;
let runId: string;

async function conceptsOf(url: string, id: string): Promise<ConceptState> {
  const live = await LiveClient.connect({ url });
  live.subscribe(`run:${id}`);
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  live.close();
  const state = snap.type === 'snapshot' ? snap.run?.analysis?.concepts : undefined;
  assert.ok(state, 'concepts in the snapshot');
  return state;
}

/** The per-unit values of a layer (all units unless said), with the `concept-units` request. */
async function unitsOf(url: string, id: string, layer: string, params: { from?: number; count?: number } = {}): Promise<ConceptUnits> {
  const live = await LiveClient.connect({ url });
  const res = await live.request('concept-units', id, { layer, ...params });
  live.close();
  assert.ok(res.ok, `concept-units: ${res.code} ${res.message}`);
  return ConceptUnits.parse(res.data);
}

before(async () => {
  server = await startTestServer();
  runId = await simulateRun({ url: server.ingestUrl, name: 'concepts', ...SIM, intervalMs: 0, concepts: true });
  await server.analysis.idle();
});
after(async () => {
  await server.close();
});

test('planted detectors are found with their concept from their planted checkpoint on, switches included', async () => {
  const state = await conceptsOf(server.liveUrl, runId);
  assert.equal(state.steps.length, SIM.checkpoints);
  assert.deepEqual(state.categories, ['colour', 'texture', 'part', 'object']);
  assert.ok(truth.detectors.length >= 8 && truth.detectors.some((d) => d.switchTo), 'the plan has detectors and a switch');
  let exact = 0;
  const units = new Map<string, ConceptUnits>();
  for (const d of truth.detectors) {
    const name = `layer${d.layer + 1}`;
    const l = state.layers.indexOf(name);
    if (!units.has(name)) units.set(name, await unitsOf(server.liveUrl, runId, name));
    const u = units.get(name)!;
    assert.deepEqual(u.steps, state.steps, 'one column per computed step');
    const detects: number[] = [];
    for (let c = 0; c < SIM.checkpoints; c++) {
      const cell = state.cells[l][c]!;
      assert.equal(cell.mode, 'image');
      const want = plantedConcept(truth, d.layer, d.unit, c);
      detects.push(u.iou[c]![d.unit] > state.threshold ? u.best[c]![d.unit] : -1);
      if (want >= 0) assert.equal(detects[c], want, `layer${d.layer + 1} unit ${d.unit} at checkpoint ${c}: detects ${detects[c]}, planted ${want}`);
    }
    // Emergence found: the first checkpoint from which the unit detects its planted concept without a break. A random
    // unit passes IoU 0.04 for a given concept with p ≈ 0.2% here, so a chance hit right before emergence may move it by one.
    let found = d.emerge;
    while (found > 0 && detects[found - 1] === d.concept) found--;
    assert.ok(d.emerge - found <= 1, `emergence step of layer${d.layer + 1} unit ${d.unit}: planted ${d.emerge}, detects ${detects.join(',')}`);
    if (found === d.emerge) exact++;
    const early = detects.slice(0, d.emerge).filter((c) => c === d.concept).length;
    assert.ok(early <= 1, `layer${d.layer + 1} unit ${d.unit} detects its concept by chance ${early} times before it emerges`);
  }
  assert.ok(exact >= 0.9 * truth.detectors.length, `${exact} of ${truth.detectors.length} emergence steps found exactly`);
});

test('unique detectors per layer include the planted concepts; chance detectors stay rare', async () => {
  const state = await conceptsOf(server.liveUrl, runId);
  const last = SIM.checkpoints - 1;
  for (let l = 0; l < SIM.layers; l++) {
    const cell = state.cells[l][last]!;
    const planted = truth.detectors.filter((d) => d.layer === l);
    const concepts = new Set(planted.map((d) => plantedConcept(truth, l, d.unit, last)));
    const u = await unitsOf(server.liveUrl, runId, state.layers[l]);
    for (const c of concepts)
      assert.ok(
        planted.some((d) => u.best[last]![d.unit] === c),
        `layer ${l} detects ${c}`,
      );
    assert.ok(cell.unique >= concepts.size && cell.uniqueByCategory.reduce((a, b) => a + b, 0) === cell.unique);
    const extra = cell.detectors - planted.length;
    assert.ok(extra <= SIM.units * 0.2, `layer ${l}: ${extra} unplanted detectors of ${SIM.units} units`);
    const chance = state.chance[l];
    assert.ok(chance && chance.detectors <= SIM.units * 0.2, `chance baseline ${JSON.stringify(chance)}`);
    assert.equal(u.selectivity[last]!.length, SIM.units);
    const sel = u.selectivity[last]!.filter((v): v is number => v !== null).sort((a, b) => a - b);
    const median = (sel[(sel.length - 1) >> 1] + sel[sel.length >> 1]) / 2;
    assert.ok(
      Math.abs(cell.selectivityBands![2] - median) <= 0.002,
      `the median band ${cell.selectivityBands![2]} is the units' median selectivity ${median} (both rounded)`,
    );
    assert.equal(cell.sensitivity.length, 10);
  }
  const logits = state.cells[state.layers.indexOf('logits')][last]!;
  assert.ok(
    logits.sensitivity.every((r) => r !== null && r > 0.95),
    `a logits layer is nearly fully sensitive to its own logits (the 99% rule may drop a direction): ${logits.sensitivity} k=${logits.k}`,
  );
  const early = state.cells[0][0]!,
    late = state.cells[SIM.layers - 1][last]!;
  assert.ok(late.sensitivity.every((r) => r !== null && r >= 0 && r <= 1) && early.k !== null);
});

test('export --json adds unique detectors and per-unit [best concept, IoU] per step; a restarted server loads the stored state', async () => {
  const { stdout } = await exec(process.execPath, [CLI, 'export', runId, '--data', server.dataDir, '--json', '--metric', 'svcca-k']);
  const out = JSON.parse(stdout);
  assert.equal(out.concepts.uniqueDetectors.layer1.length, SIM.checkpoints);
  assert.equal(out.concepts.units.layer4.length, SIM.checkpoints);
  assert.equal(out.concepts.units.layer4[0].length, SIM.units);
  const d = truth.detectors.find((x) => x.layer === 3)!;
  const [name, iou] = out.concepts.units.layer4[SIM.checkpoints - 1][d.unit];
  assert.equal(name, truth.concepts[plantedConcept(truth, 3, d.unit, SIM.checkpoints - 1)].name);
  assert.ok(iou > 0.04);

  const before = await conceptsOf(server.liveUrl, runId);
  const unitsBefore = await unitsOf(server.liveUrl, runId, 'layer4', { from: 5, count: 3 });
  const again = await startTestServer({ dataDir: server.dataDir });
  try {
    assert.deepEqual(await conceptsOf(again.liveUrl, runId), before);
    assert.deepEqual(await unitsOf(again.liveUrl, runId, 'layer4', { from: 5, count: 3 }), unitsBefore);
  } finally {
    await again.close();
  }
});

test('concept masks: validated against the probe, stored, and used for spatial layers (pixel IoU)', async () => {
  const m = 40,
    H = 8,
    W = 8;
  const concepts = [
    { name: 'square', category: 'object' },
    { name: 'left', category: 'part' },
  ];
  const masks = new Float32Array(m * 2 * H * W);
  const conceptLabels: number[][] = [];
  for (let j = 0; j < m; j++) {
    const labels: number[] = [];
    if (j % 3 === 0) {
      labels.push(0);
      const y0 = (j * 2) % 4,
        x0 = (j * 3) % 4; // a 4 × 4 square at an example-specific place, aligned to 2 × 2 cells
      for (let y = y0 * 2 - ((y0 * 2) % 2); y < y0 * 2 + 4 && y < H; y++) for (let x = x0; x < x0 + 4; x++) masks[(j * 2 * H + y) * W + x] = 1;
    }
    if (j % 2 === 0) {
      labels.push(1);
      for (let y = 0; y < H; y++) for (let x = 0; x < W / 2; x++) masks[((j * 2 + 1) * H + y) * W + x] = 1;
    }
    conceptLabels.push(labels);
  }
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'masks' } });
  await client.declare([{ name: 'conv', units: 2, kind: 'conv', spatial: { h: 4, w: 4 } }], { examples: m, concepts, conceptLabels, maskSize: { h: H, w: W } });
  await assert.rejects(client.sendMasks(new Float32Array(m * 2 * 4 * 4), [m, 2, 4, 4]), /PROBE_MISMATCH.*\[examples, 2, 8, 8\]/);
  await assert.rejects(client.sendMasks(new Float32Array(m * 2 * H * W).fill(0.5), [m, 2, H, W]), /PROBE_MISMATCH.*0 or 1/);
  await client.sendMasks(masks, [m, 2, H, W], 16); // three chunks
  // Unit 0's 4 × 4 map is the square mask averaged over 2 × 2 cells; unit 1 is noise.
  const acts = new Float32Array(2 * m * 16);
  for (let j = 0; j < m; j++) {
    for (let y = 0; y < 4; y++)
      for (let x = 0; x < 4; x++) {
        let s = 0;
        for (let dy = 0; dy < 2; dy++) for (let dx = 0; dx < 2; dx++) s += masks[(j * 2 * H + 2 * y + dy) * W + 2 * x + dx];
        acts[j * 16 + y * 4 + x] = s / 4;
        acts[(m + j) * 16 + y * 4 + x] = Math.sin(j * 7 + y * 3 + x);
      }
  }
  await client.checkpoint(10, [{ layer: 'conv', data: acts, shape: [2, m, 4, 4] }]);
  await client.end();
  await client.close();
  await until(async () => {
    await server.analysis.idle();
    return true;
  });
  const state = await conceptsOf(server.liveUrl, client.runId);
  const cell = state.cells[0][0]!;
  assert.equal(cell.mode, 'mask');
  assert.equal(state.quantiles[0], 0.005);
  const u = await unitsOf(server.liveUrl, client.runId, 'conv');
  assert.equal(u.best[0]![0], 0);
  assert.ok(u.iou[0]![0] > 0.04, `pixel IoU of the square unit ${u.iou[0]![0]}`);

  const bad = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'no-mask-size' } });
  await bad.declare([{ name: 'fc', units: 2 }], { examples: 4, concepts, conceptLabels: [[0], [], [1], []] });
  await assert.rejects(bad.sendMasks(new Float32Array(4 * 2), [4, 2, 1, 1]), /PROBE_MISMATCH.*maskSize/);
  await bad.close();
});

test('declared masks that never come hold a spatial layer for one checkpoint only: the next one scores both on the image labels', async () => {
  const m = 12;
  const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'masks-never-sent' } });
  const concepts = [{ name: 'even', category: 'object' }];
  await client.declare([{ name: 'conv', units: 2, kind: 'conv', spatial: { h: 2, w: 2 } }], {
    examples: m,
    concepts,
    conceptLabels: Array.from({ length: m }, (_, j) => (j % 2 ? [] : [0])),
    maskSize: { h: 4, w: 4 },
  });
  const acts = Float32Array.from({ length: 2 * m * 4 }, (_, i) => Math.sin(i * 1.7));
  await client.checkpoint(10, [{ layer: 'conv', data: acts, shape: [2, m, 2, 2] }]);
  await client.checkpoint(20, [{ layer: 'conv', data: acts.map((v) => -v), shape: [2, m, 2, 2] }]);
  // The run has not ended: the first checkpoint's job ran because the second one came, not because the run stopped.
  await until(async () => (await conceptsOf(server.liveUrl, client.runId)).cells[0].filter(Boolean).length === 2, 20_000, 'both checkpoints scored');
  const state = await conceptsOf(server.liveUrl, client.runId);
  assert.deepEqual(
    state.cells[0].map((c) => c?.mode),
    ['image', 'image'],
  );
  await client.end();
  await client.close();
});

test('the snapshot carries per-layer summaries only; concept-units pages the per-unit values and refuses bad asks', async () => {
  const live = await LiveClient.connect({ url: server.liveUrl });
  live.subscribe(`run:${runId}`);
  const snap = await live.waitFor((m) => m.type === 'snapshot');
  const text = JSON.stringify(snap);
  assert.ok(!/"best"|"iou"|"selectivity"/.test(text), 'no per-unit arrays in the snapshot');
  const page = await live.request('concept-units', runId, { layer: 'layer2', from: 30, count: 512 });
  assert.ok(page.ok);
  const data = ConceptUnits.parse(page.data);
  assert.deepEqual([data.from, data.count, data.units], [30, 2, SIM.units], "the page is cut at the layer's last unit");
  assert.ok(data.best.every((col) => col!.length === 2));
  const all = await unitsOf(server.liveUrl, runId, 'layer2');
  assert.deepEqual(
    data.iou.map((col) => col),
    all.iou.map((col) => col!.slice(30)),
    'a page is the same values as the whole layer',
  );
  const asks: Array<[Record<string, unknown>, string]> = [
    [{ layer: 'nope' }, 'UNKNOWN_LAYER'],
    [{ layer: 'layer2', from: 32 }, 'BAD_REQUEST'],
    [{ layer: 'layer2', count: 513 }, 'BAD_REQUEST'],
    [{}, 'BAD_REQUEST'],
  ];
  for (const [params, code] of asks) {
    const res = await live.request('concept-units', runId, params as Record<string, string | number>);
    assert.deepEqual([res.ok, res.code], [false, code], JSON.stringify(params));
  }
  live.close();
});
