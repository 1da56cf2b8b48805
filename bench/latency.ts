/**
 * bench/latency: time from a trainer logging a scalar to a subscribed /live viewer receiving it, while another
 * trainer streams 8 × 512 × 2,000 checkpoints at half the measured ingest capacity. Target p50/p95/p99 ≤ 5/20/50 ms.
 * Also measured, in the same run: scalars logged on the checkpoint trainer's own connection, which queue behind
 * whole checkpoints in that TCP stream (not a server delay; reported, not held to the target).
 *   node --import tsx bench/latency.ts [--smoke] [--seconds 20] [--capacity MBps] [--interval 10]
 */
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { CheckpointStream, type StreamShape } from './checkpoint-stream';
import { mbps, ms, numArg, percentile, SMOKE, serverStats, sleep, startBenchServer, statsLine } from './helpers';
import { ScalarProbe } from './scalar-probe';

const shape: StreamShape = {
  layers: numArg('layers', SMOKE ? 2 : 8),
  units: numArg('units', SMOKE ? 16 : 512),
  examples: numArg('examples', SMOKE ? 100 : 2000),
};
const seconds = numArg('seconds', SMOKE ? 1 : 20);
const intervalMs = numArg('interval', 10);
const TARGET = { p50: 5, p95: 20, p99: 50 };

const server = await startBenchServer();
try {
  // Capacity: a short full-speed run on its own (or --capacity from bench/ingest).
  let capacity = numArg('capacity', 0);
  if (!capacity) {
    const cal = await CheckpointStream.open({ url: server.ingestUrl, run: { name: 'bench-calibrate' }, zeroMask: true }, shape);
    await cal.run({ count: 2 });
    const r = await cal.run({ seconds: SMOKE ? 0.5 : 6 });
    capacity = mbps(r.bytes, r.seconds);
    await cal.client.end();
    await cal.client.close();
  }
  const rate = capacity / 2;

  const bulk = await CheckpointStream.open({ url: server.ingestUrl, run: { name: 'bench-latency-bulk' }, zeroMask: true }, shape);
  const logger = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'bench-latency-scalars' } });
  const separate = new ScalarProbe('probe', 3);
  const sameSocket = new ScalarProbe('bulk_probe', 3);
  const lat = { separate: [] as number[], sameSocket: [] as number[] };
  let measuring = false;
  const viewer = await LiveClient.connect({
    url: server.liveUrl,
    validate: false,
    onMessage: (m) => {
      if (!measuring) return;
      const a = separate.latencyOf(m);
      if (a !== null) lat.separate.push(a);
      const b = sameSocket.latencyOf(m);
      if (b !== null) lat.sameSocket.push(b);
    },
  });
  viewer.subscribe(`run:${logger.runId}`);
  viewer.subscribe(`run:${bulk.client.runId}`);
  await viewer.waitFor((m) => m.type === 'snapshot' && m.topic === `run:${bulk.client.runId}`);

  separate.start(logger, intervalMs);
  sameSocket.start(bulk.client, intervalMs);
  const load = bulk.run({ seconds: seconds + 2, bytesPerSecond: rate * 1e6 });
  await sleep(SMOKE ? 300 : 2000); // warm-up under load
  await serverStats(server, true);
  measuring = true;
  await load;
  measuring = false;
  const stats = await serverStats(server);
  separate.stop();
  sameSocket.stop();
  const res = await load;
  const achieved = mbps(res.bytes, res.seconds);
  await sleep(100);
  viewer.close();
  await logger.close();
  await bulk.client.close();

  const p = (xs: number[]) => ({ p50: percentile(xs, 50), p95: percentile(xs, 95), p99: percentile(xs, 99), max: Math.max(...xs) });
  const a = p(lat.separate);
  const b = p(lat.sameSocket);
  const met = a.p50 <= TARGET.p50 && a.p95 <= TARGET.p95 && a.p99 <= TARGET.p99;
  console.log(
    `bench/latency: scalar logged → delta at a /live viewer, every ${intervalMs} ms, while ${shape.layers}×${shape.units}×${shape.examples} checkpoints stream at ${achieved.toFixed(0)} MB/s (half of the ${capacity.toFixed(0)} MB/s measured capacity)`,
  );
  console.log(`  scalar latency (own trainer connection): n=${lat.separate.length} p50 ${ms(a.p50)}, p95 ${ms(a.p95)}, p99 ${ms(a.p99)}, max ${ms(a.max)}`);
  console.log(
    `  same socket as the checkpoints (queued behind up to one ${((shape.layers * shape.units * shape.examples * 4) / 1e6).toFixed(0)} MB checkpoint): n=${lat.sameSocket.length} p50 ${ms(b.p50)}, p95 ${ms(b.p95)}, p99 ${ms(b.p99)}, max ${ms(b.max)}`,
  );
  console.log(`  server during the run: ${statsLine(stats)}`);
  console.log(`  target: p50/p95/p99 ≤ ${TARGET.p50}/${TARGET.p95}/${TARGET.p99} ms (own connection) → ${met ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
}
