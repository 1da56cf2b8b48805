/**
 * bench/fanout: a trainer streams 8 × 512 × 2,000 checkpoints at full speed into run A while a second trainer logs
 * 32 scalars into run B every 10 ms. First with no viewers, then with 100 /live viewers subscribed to both runs (10
 * of them parse every message and time the scalars; 90 read and discard) plus 10 stalled viewers that subscribe and
 * never read again. Prints the ingest throughput drop (target < 10%), the scalar latency at the reading viewers
 * (target p50/p95/p99 ≤ 5/20/50 ms) and the server's RSS while the stalled viewers' queues reach highWaterBytes and
 * they are dropped with SLOW_CONSUMER (bounded memory).
 *   node --import tsx bench/fanout.ts [--smoke] [--seconds 30] [--viewers 100] [--stalled 10] [--stall-wait 20]
 */
import WebSocket from 'ws';
import { IngestClient } from '../clients/node/ingest-client';
import { LiveClient } from '../clients/node/live-client';
import { CheckpointStream, type StreamShape } from './checkpoint-stream';
import { mbps, mib, ms, numArg, percentile, SMOKE, serverStats, sleep, startBenchServer, statsLine, type BenchServer } from './helpers';
import { ScalarProbe } from './scalar-probe';

const shape: StreamShape = {
  layers: numArg('layers', SMOKE ? 2 : 8),
  units: numArg('units', SMOKE ? 16 : 512),
  examples: numArg('examples', SMOKE ? 100 : 2000),
};
const seconds = numArg('seconds', SMOKE ? 1 : 30);
const viewerCount = numArg('viewers', SMOKE ? 5 : 100);
const stalledCount = numArg('stalled', SMOKE ? 2 : 10);
/** Series per scalar message besides the probe (a trainer logging loss, accuracy, lr, norms...). */
const SERIES = 31;
/** Viewers that parse every message and time the probe (the others only read, as a browser tab in the background). */
const TIMED = Math.min(10, viewerCount);
const stallWait = numArg('stall-wait', SMOKE ? 0 : 20);

/** A viewer that subscribes and then stops reading: its socket is paused, so the server's send queue to it grows. */
async function stalledViewer(url: string, topics: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.on('error', () => {});
  for (const topic of topics) ws.send(JSON.stringify({ type: 'subscribe', topic }));
  await sleep(200);
  ws.pause();
  return ws;
}

/** A viewer that reads every message and drops it unparsed. */
async function drainingViewer(url: string, topics: string[]): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.on('error', () => {});
  ws.on('message', () => {});
  for (const topic of topics) ws.send(JSON.stringify({ type: 'subscribe', topic }));
  return ws;
}

/** One phase: full-speed ingest into a fresh run A, scalars into run B, `viewers` reading and `stalled` not. */
async function phase(server: BenchServer, logger: IngestClient, probe: ScalarProbe, viewers: number, stalled: number) {
  const bulk = await CheckpointStream.open({ url: server.ingestUrl, run: { name: `bench-fanout-${viewers}` }, zeroMask: true }, shape);
  const topics = [`run:${bulk.client.runId}`, `run:${logger.runId}`];
  const latency: number[] = [];
  let measuring = false;
  const lives = await Promise.all(
    Array.from({ length: Math.min(viewers, TIMED) }, () =>
      LiveClient.connect({
        url: server.liveUrl,
        validate: false,
        onMessage: (m) => {
          const l = measuring ? probe.latencyOf(m) : null;
          if (l !== null) latency.push(l);
        },
      }),
    ),
  );
  for (const v of lives) for (const t of topics) v.subscribe(t);
  await Promise.all(lives.map((v) => v.waitFor((m) => m.type === 'snapshot' && m.topic === topics[0])));
  const drains = await Promise.all(Array.from({ length: Math.max(0, viewers - TIMED) }, () => drainingViewer(server.liveUrl, topics)));
  const stalls = await Promise.all(Array.from({ length: stalled }, () => stalledViewer(server.liveUrl, topics)));

  await bulk.run({ count: 2 });
  await serverStats(server, true);
  measuring = true;
  const rss: number[] = [];
  const sampler = setInterval(() => void serverStats(server).then((s) => rss.push(s.memory.rss)), 1000);
  const res = await bulk.run({ seconds });
  measuring = false;
  const stats = await serverStats(server);
  await bulk.client.end();
  await bulk.client.close();
  // The scalars keep flowing: wait for the stalled viewers to reach the bound and be dropped.
  const stallStart = performance.now();
  let dropped: number | null = stalled ? null : 0;
  while (stalled && performance.now() - stallStart < stallWait * 1000) {
    await sleep(1000);
    if ((await serverStats(server)).broadcaster.dropped >= stalled) {
      dropped = (performance.now() - stallStart) / 1000 + seconds;
      break;
    }
  }
  clearInterval(sampler);
  const end = await serverStats(server);
  rss.push(end.memory.rss);
  for (const v of lives) v.close();
  for (const d of drains) d.close();
  for (const s of stalls) s.terminate();
  const cpuPerGB = (stats.cpu.user + stats.cpu.system) / 1000 / (res.bytes / 1e9);
  return { rate: mbps(res.bytes, res.seconds), cpuPerGB, latency, rss, stats, end, droppedAfter: dropped };
}

const server = await startBenchServer();
try {
  const logger = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'bench-fanout-scalars' } });
  const probe = new ScalarProbe('probe', SERIES);
  probe.start(logger, 10);
  const base = await phase(server, logger, probe, 0, 0);
  const fan = await phase(server, logger, probe, viewerCount, stalledCount);
  probe.stop();
  await logger.close();

  const drop = (1 - fan.rate / base.rate) * 100;
  const l = fan.latency;
  const p = { p50: percentile(l, 50), p95: percentile(l, 95), p99: percentile(l, 99) };
  const b = fan.end.broadcaster;
  const latencyMet = p.p50 <= 5 && p.p95 <= 20 && p.p99 <= 50;
  console.log(
    `bench/fanout: ${shape.layers}×${shape.units}×${shape.examples} checkpoints at full speed into run A, ${SERIES + 1} scalars every 10 ms into run B, ${seconds} s per phase`,
  );
  console.log(`  no viewers: ingest ${base.rate.toFixed(0)} MB/s, server CPU ${base.cpuPerGB.toFixed(2)} s per GB; ${statsLine(base.stats)}`);
  console.log(
    `  ${viewerCount} viewers + ${stalledCount} stalled: ingest ${fan.rate.toFixed(0)} MB/s → drop ${drop.toFixed(1)}%, server CPU ${fan.cpuPerGB.toFixed(2)} s per GB (${fan.cpuPerGB >= base.cpuPerGB ? '+' : ''}${((fan.cpuPerGB / base.cpuPerGB - 1) * 100).toFixed(0)}%); ${statsLine(fan.stats)}`,
  );
  const s = fan.stats.broadcaster;
  console.log(
    `  fan-out during the ingest phase: ${s.published} deltas published, ${s.sent} sent, ${s.snapshots} snapshots (${s.snapshotsReused} reused); ${s.stalled} stalled subscriptions, largest viewer queue ${mib(s.maxBuffered)}, all viewer queues ${mib(s.totalBuffered)}`,
  );
  console.log(
    `  stalled viewers: ${b.dropped} of ${stalledCount} dropped with SLOW_CONSUMER ${fan.droppedAfter === null ? `(not within ${seconds + stallWait} s: the kernel buffers up to tcp_rmem + tcp_wmem per paused socket before the server's queue grows)` : `by ${fan.droppedAfter.toFixed(0)} s`}, ${b.coalesced} caught up by a snapshot; at the end ${b.stalled} stalled subscriptions, all viewer queues ${mib(b.totalBuffered)}`,
  );
  console.log(
    `  server RSS during the fan-out phase and the stall: min ${mib(Math.min(...fan.rss))}, max ${mib(Math.max(...fan.rss))}, end ${mib(fan.rss[fan.rss.length - 1])}`,
  );
  console.log(
    `  scalar latency at ${TIMED} of the ${viewerCount} reading viewers: n=${l.length} p50 ${ms(p.p50)}, p95 ${ms(p.p95)}, p99 ${ms(p.p99)}, max ${ms(Math.max(...l))}`,
  );
  console.log(`  targets: throughput drop < 10% → ${drop < 10 ? 'met' : 'NOT met'}; latency p50/p95/p99 ≤ 5/20/50 ms → ${latencyMet ? 'met' : 'NOT met'}`);
} finally {
  await server.stop();
}
