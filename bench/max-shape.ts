/**
 * bench/max-shape: a run at the largest declared shape the limits allow (256 layers × 65,536 units by default), with a
 * tiny probe set so it stays fast, end to end: ingest, analysis, a viewer's snapshot (bytes and time), a page of
 * per-unit concept values and one unit's history (`concept-units`). Prints the figures; the snapshot must stay under
 * SNAPSHOT_BOUND. The integration test test/integration/max-shape.test.ts runs the same function.
 *   node --import tsx bench/max-shape.ts [--smoke] [--layers 256] [--units 65536] [--examples 2] [--checkpoints 2]
 */
import WebSocket from 'ws';
import { IngestClient } from '../clients/node/ingest-client';
import { Rng } from '../lib/random';
import { ConceptUnits, MAX_CONCEPT_UNITS, RunSnapshot } from '../lib/protocol';
import { mib, ms, numArg, serverStats, sleep, SMOKE, startBenchServer } from './helpers';

/** What a viewer's snapshot of the largest run may weigh, whatever its units (docs/performance.md states the bound). */
export const SNAPSHOT_BOUND = 1024 * 1024;

export interface MaxShapeOptions {
  layers: number;
  units: number;
  examples: number;
  checkpoints: number;
  log?: (line: string) => void;
}

export interface MaxShapeResult {
  ingestSeconds: number;
  analysisSeconds: number;
  snapshotBytes: number;
  snapshotMs: number;
  snapshot: RunSnapshot;
  conceptCells: number;
  pageBytes: number;
  pageMs: number;
  page: ConceptUnits;
  unitBytes: number;
  unit: ConceptUnits;
  serverRss: number;
  serverAlive: boolean;
}

/** One raw /live connection: the snapshot's text as sent, and requests answered as text. */
async function liveText(url: string): Promise<{
  next: (pred: (m: { type: string; id?: number }) => boolean, timeoutMs?: number) => Promise<string>;
  send: (m: object) => void;
  close: () => void;
}> {
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 256 * 1024 * 1024 });
  const queue: string[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (d) => {
    queue.push(String(d));
    for (const w of waiters.splice(0)) w();
  });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  return {
    async next(pred, timeoutMs = 120_000) {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const i = queue.findIndex((t) => pred(JSON.parse(t) as { type: string }));
        if (i >= 0) return queue.splice(i, 1)[0];
        if (Date.now() > end) throw new Error('timed out waiting for a /live message');
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 1000);
        });
      }
    },
    send: (m) => ws.send(JSON.stringify(m)),
    close: () => ws.close(),
  };
}

/** Streams the run, waits for its analysis, and measures what a viewer gets. */
export async function runMaxShape(o: MaxShapeOptions): Promise<MaxShapeResult> {
  const server = await startBenchServer(['--workers', '1']);
  try {
    const layers = Array.from({ length: o.layers }, (_, i) => ({ name: `l${i}`, units: o.units }));
    const m = o.examples;
    const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'max shape' } });
    await trainer.declare(layers, {
      examples: m,
      labels: Array.from({ length: m }, (_, j) => j % 2),
      classNames: ['even', 'odd'],
      concepts: [{ name: 'first', category: 'position' }],
      conceptLabels: Array.from({ length: m }, (_, j) => (j === 0 ? [0] : [])),
    });
    const t0 = performance.now();
    const rng = new Rng(1);
    for (let c = 1; c <= o.checkpoints; c++) {
      const frames: Array<{ layer: string; shape: number[]; data: Float32Array }> = [];
      for (const l of layers) {
        frames.push({ layer: l.name, shape: [o.units, m], data: rng.fillNormal(new Float32Array(o.units * m)) as Float32Array });
        // Seconds of number drawing on a loaded machine must not starve the socket (the server drops peers that miss pings).
        if (frames.length % 16 === 0) await new Promise((r) => setImmediate(r));
      }
      await trainer.checkpoint(c * 100, frames);
      o.log?.(`checkpoint ${c}/${o.checkpoints} acknowledged after ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    await trainer.end();
    await trainer.close();
    const ingestSeconds = (performance.now() - t0) / 1000;

    // Analysis done: every layer has its concept cells and the convergence grids nothing pending.
    const live = await liveText(server.liveUrl);
    const t1 = performance.now();
    const id = trainer.runId;
    let snapshotText = '';
    let snapshotMs = 0;
    for (;;) {
      const ts = performance.now();
      live.send({ type: 'subscribe', topic: `run:${id}` });
      snapshotText = await live.next((msg) => msg.type === 'snapshot');
      snapshotMs = performance.now() - ts;
      live.send({ type: 'unsubscribe', topic: `run:${id}` });
      const snap = RunSnapshot.parse(JSON.parse(snapshotText).run);
      const cells = snap.analysis?.concepts?.cells.flat().filter(Boolean).length ?? 0;
      const pending = Object.values(snap.analysis?.convergence?.grids ?? {}).reduce((s, g) => s + g.pending, 0);
      if (cells === o.layers * o.checkpoints && pending === 0 && (await serverStats(server)).analysisQueued === 0) break;
      if (performance.now() - t1 > 30 * 60_000) throw new Error(`analysis did not finish: ${cells} concept cells, ${pending} convergence cells pending`);
      await sleep(1000);
    }
    const analysisSeconds = (performance.now() - t1) / 1000;
    const snapshot = RunSnapshot.parse(JSON.parse(snapshotText).run);

    const last = layers[layers.length - 1].name;
    const tp = performance.now();
    live.send({ type: 'request', id: 1, what: 'concept-units', run: id, params: { layer: last, from: o.units - MAX_CONCEPT_UNITS > 0 ? 1000 : 0 } });
    const pageText = await live.next((msg) => msg.type === 'response' && msg.id === 1);
    const pageMs = performance.now() - tp;
    live.send({ type: 'request', id: 2, what: 'concept-units', run: id, params: { layer: 'l0', from: o.units - 1, count: 1 } });
    const unitText = await live.next((msg) => msg.type === 'response' && msg.id === 2);
    live.close();
    const answer = (text: string) => {
      const r = JSON.parse(text) as { ok: boolean; data?: unknown; code?: string; message?: string };
      if (!r.ok) throw new Error(`concept-units: ${r.code} ${r.message}`);
      return ConceptUnits.parse(r.data);
    };
    const stats = await serverStats(server);
    const serverAlive = await fetch(`${server.url}/api/health`).then(
      (r) => r.ok,
      () => false,
    );
    return {
      ingestSeconds,
      analysisSeconds,
      snapshotBytes: Buffer.byteLength(snapshotText),
      snapshotMs,
      snapshot,
      conceptCells: snapshot.analysis?.concepts?.cells.flat().filter(Boolean).length ?? 0,
      pageBytes: Buffer.byteLength(pageText),
      pageMs,
      page: answer(pageText),
      unitBytes: Buffer.byteLength(unitText),
      unit: answer(unitText),
      serverRss: stats.memory.rss,
      serverAlive,
    };
  } finally {
    await server.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const o: MaxShapeOptions = {
    layers: numArg('layers', SMOKE ? 16 : 256),
    units: numArg('units', SMOKE ? 4096 : 65_536),
    examples: numArg('examples', 2),
    checkpoints: numArg('checkpoints', 2),
    log: (line) => console.log(`  ${line}`),
  };
  console.log(`layerwatch max-shape bench: ${o.layers} layers × ${o.units} units, ${o.examples} probe examples, ${o.checkpoints} checkpoints`);
  const r = await runMaxShape(o);
  console.log(`ingest            ${r.ingestSeconds.toFixed(1)} s (${mib(4 * o.layers * o.units * o.examples * o.checkpoints)} of activations)`);
  console.log(`analysis          ${r.analysisSeconds.toFixed(1)} s after the last ack (${r.conceptCells} concept cells)`);
  console.log(
    `snapshot          ${(r.snapshotBytes / 1024).toFixed(0)} KiB in ${ms(r.snapshotMs)} (bound ${SNAPSHOT_BOUND / 1024} KiB: ${r.snapshotBytes <= SNAPSHOT_BOUND ? 'met' : 'NOT met'})`,
  );
  console.log(
    `concept-units     ${r.page.count} units × ${r.page.steps.length} steps: ${(r.pageBytes / 1024).toFixed(0)} KiB in ${ms(r.pageMs)}; one unit ${(r.unitBytes / 1024).toFixed(1)} KiB`,
  );
  console.log(`server RSS        ${mib(r.serverRss)} after; server ${r.serverAlive ? 'up' : 'DOWN'}`);
  if (r.snapshotBytes > SNAPSHOT_BOUND || !r.serverAlive) process.exitCode = 1;
}
