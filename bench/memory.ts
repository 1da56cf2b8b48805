/**
 * bench/memory: one run receives 1,000,000 scalar points (16 series) and 1,000 checkpoints (8 × 128 × 500, 2 MB each),
 * with live analysis on. Prints the server's RSS before, during and after, what the heap holds, and what a new
 * viewer's snapshot of the run costs. Target: RSS after the run ≤ 512 MiB (the frames are on disk, not in memory).
 *   node --import tsx bench/memory.ts [--smoke] [--points 1000000] [--checkpoints 1000]
 */
import { LiveClient } from '../clients/node/live-client';
import { CheckpointStream, type StreamShape } from './checkpoint-stream';
import { mib, ms, numArg, SMOKE, serverStats, sleep, startBenchServer } from './helpers';

const shape: StreamShape = { layers: numArg('layers', 8), units: numArg('units', SMOKE ? 16 : 128), examples: numArg('examples', SMOKE ? 100 : 500) };
const points = numArg('points', SMOKE ? 20_000 : 1_000_000);
const checkpoints = numArg('checkpoints', SMOKE ? 20 : 1000);
const SERIES = 16;
const BOUND = 512 * 1048576;
const steps = Math.ceil(points / SERIES);

const server = await startBenchServer();
try {
  await sleep(500);
  const idle = await serverStats(server);
  const stream = await CheckpointStream.open({ url: server.ingestUrl, run: { name: 'bench-memory' }, zeroMask: true }, shape, 4);
  const trainer = stream.client;
  const t0 = performance.now();
  const inflight: Array<Promise<unknown>> = [];
  const perCheckpoint = Math.max(1, Math.floor(steps / checkpoints));
  let sentCheckpoints = 0;
  let peak = 0;
  const sampler = setInterval(() => void serverStats(server).then((s) => (peak = Math.max(peak, s.memory.rss))), 500);
  for (let step = 1; step <= steps; step++) {
    const values: Record<string, number> = {};
    for (let s = 0; s < SERIES; s++) values[`s${s}`] = Math.sin(step * 0.001 + s) + s;
    inflight.push(trainer.log(step, values));
    // Stay under the server's 5,000 messages/s per connection.
    if (step % 200 === 0) await sleep(50);
    if (step % perCheckpoint === 0 && sentCheckpoints < checkpoints) {
      inflight.push((await stream.send()).ack);
      sentCheckpoints++;
    }
    while (inflight.length > 512) await inflight.shift();
  }
  while (sentCheckpoints < checkpoints) {
    inflight.push((await stream.send()).ack);
    sentCheckpoints++;
    while (inflight.length > 8) await inflight.shift();
  }
  await Promise.all(inflight);
  const streamSeconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  await sleep(1000);
  const after = await serverStats(server);
  peak = Math.max(peak, after.memory.rss);

  // A new viewer of the run: its snapshot is the largest single message the server builds.
  const viewer = await LiveClient.connect({ url: server.liveUrl, validate: false });
  let snapshotBytes = 0;
  viewer.ws.on('message', (d: Buffer) => (snapshotBytes = Math.max(snapshotBytes, d.length)));
  const s0 = performance.now();
  viewer.subscribe(`run:${trainer.runId}`);
  const snap = await viewer.waitFor((m) => m.type === 'snapshot', 60_000);
  const snapshotMs = performance.now() - s0;
  const series = snap.type === 'snapshot' ? Object.values(snap.run?.scalars ?? {}) : [];
  const pointsInSnapshot = series.reduce((n, s) => n + s.steps.length, 0);
  const withViewer = await serverStats(server);
  viewer.close();
  await trainer.end();
  await trainer.close();

  const m = after.memory;
  const scalarBytes = SERIES * 2 ** Math.ceil(Math.log2(Math.max(64, steps))) * 16;
  console.log(
    `bench/memory: one run, ${(steps * SERIES).toLocaleString('en')} scalar points (${SERIES} series × ${steps.toLocaleString('en')} steps) and ${checkpoints} checkpoints of ${shape.layers}×${shape.units}×${shape.examples} (${((checkpoints * shape.layers * shape.units * shape.examples * 4) / 1e9).toFixed(2)} GB on disk), streamed in ${streamSeconds.toFixed(0)} s`,
  );
  console.log(
    `  server RSS: idle ${mib(idle.memory.rss)}, peak while streaming ${mib(peak)}, after the run ${mib(m.rss)}, with one new viewer ${mib(withViewer.memory.rss)}`,
  );
  console.log(
    `  after the run: V8 heap used ${mib(m.heapUsed)} of ${mib(m.heapTotal)}, array buffers ${mib(m.arrayBuffers)}, external ${mib(m.external)}; scalar series in typed arrays ≈ ${mib(scalarBytes)}; ${after.analysisQueued} analysis jobs queued`,
  );
  console.log(`  a new viewer's snapshot: ${(snapshotBytes / 1e6).toFixed(1)} MB, ${pointsInSnapshot.toLocaleString('en')} points, in ${ms(snapshotMs)}`);
  console.log(`  target: RSS after the run ≤ ${mib(BOUND)} → ${m.rss <= BOUND && withViewer.memory.rss <= BOUND ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
}
