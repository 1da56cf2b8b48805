/**
 * bench/ingest: one Node trainer streams checkpoints of 8 layers × 512 units × 2,000 examples as fast as the server
 * acknowledges them (a window of checkpoints in flight), into a durable run log, with live analysis in the workers.
 * Prints MB/s of activation payload (target ≥ 300 MB/s on loopback) and the server's event-loop delay during the
 * run (target p99 and max ≤ 50 ms). In the same run, the anchor: the same activations sent as JSON arrays to a
 * minimal endpoint that only parses them (bench/json-anchor-server.ts).
 *   node --import tsx bench/ingest.ts [--smoke] [--seconds 20] [--window 4] [--masked] [--profile DIR]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import WebSocket from 'ws';
import { CheckpointStream, type StreamShape } from './checkpoint-stream';
import { mbps, numArg, ROOT, SMOKE, serverStats, startBenchServer, statsLine } from './helpers';

const shape: StreamShape = {
  layers: numArg('layers', SMOKE ? 2 : 8),
  units: numArg('units', SMOKE ? 16 : 512),
  examples: numArg('examples', SMOKE ? 100 : 2000),
};
const seconds = numArg('seconds', SMOKE ? 1 : 20);
const anchorSeconds = numArg('anchor-seconds', SMOKE ? 0.5 : 10);
const window = numArg('window', 4);
const zeroMask = !process.argv.includes('--masked');

/** The server's figures for one full-speed ingest run. */
async function binaryRun() {
  const server = await startBenchServer();
  try {
    const stream = await CheckpointStream.open({ url: server.ingestUrl, run: { name: 'bench-ingest' }, zeroMask }, shape, window);
    await stream.run({ count: 2 }); // warm-up: JIT, the workers' first jobs, buffer pools
    await serverStats(server, true);
    const t0 = performance.now();
    const res = await stream.run({ seconds });
    // Durable: `end` syncs the log to disk before its ack.
    await stream.client.end();
    const total = (performance.now() - t0) / 1000;
    const stats = await serverStats(server);
    await stream.client.close();
    return { ...res, durableSeconds: total, stats };
  } finally {
    await server.stop();
  }
}

/** The anchor: each layer as `{"layer", "step", "data": [[...], ...]}` JSON text, parsed by a bare ws endpoint. */
async function jsonRun() {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/json-anchor-server.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout!.on('data', (d: Buffer) => {
        const m = /listening on (\d+)/.exec(String(d));
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`anchor server exited ${code}`)));
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    const waiting: Array<() => void> = [];
    ws.on('message', () => waiting.shift()?.());
    const layers = Array.from({ length: shape.layers }, (_, l) => {
      const data = new Float32Array(shape.units * shape.examples);
      for (let i = 0; i < data.length; i++) data[i] = Math.sin(i * 0.37 + l) * 0.9;
      return data;
    });
    const t0 = performance.now();
    const inflight: Array<Promise<void>> = [];
    let jsonBytes = 0;
    let checkpoints = 0;
    for (let step = 0; checkpoints === 0 || performance.now() - t0 < anchorSeconds * 1000; step++) {
      for (let l = 0; l < shape.layers; l++) {
        const rows: number[][] = [];
        for (let u = 0; u < shape.units; u++) rows.push(Array.from(layers[l].subarray(u * shape.examples, (u + 1) * shape.examples)));
        const text = JSON.stringify({ layer: `layer${l}`, step, data: rows });
        jsonBytes += text.length;
        while (inflight.length >= window * shape.layers) await inflight.shift();
        inflight.push(new Promise<void>((r) => waiting.push(r)));
        ws.send(text);
      }
      checkpoints++;
    }
    await Promise.all(inflight);
    const secs = (performance.now() - t0) / 1000;
    ws.close();
    return { checkpoints, bytes: checkpoints * shape.layers * shape.units * shape.examples * 4, jsonBytes, seconds: secs };
  } finally {
    child.kill('SIGTERM');
  }
}

const bin = await binaryRun();
const json = await jsonRun();
const rate = mbps(bin.bytes, bin.durableSeconds);
const jsonRate = mbps(json.bytes, json.seconds);
const perCheckpoint = (shape.layers * shape.units * shape.examples * 4) / 1e6;
const loop = bin.stats.eventLoop;
console.log(
  `bench/ingest: ${shape.layers} layers × ${shape.units} units × ${shape.examples} examples = ${perCheckpoint.toFixed(1)} MB per checkpoint, window ${window}, ${zeroMask ? 'zero' : 'random'} mask, analysis live in the workers`,
);
console.log(
  `  binary frames → durable run log: ${bin.checkpoints} checkpoints, ${(bin.bytes / 1e9).toFixed(2)} GB in ${bin.durableSeconds.toFixed(1)} s (to the synced end) → ingest ${rate.toFixed(0)} MB/s`,
);
console.log(
  `  server during the run: ${statsLine(bin.stats)}; ${bin.stats.broadcaster.published} deltas published, ${bin.stats.analysisQueued} analysis jobs queued at the end`,
);
console.log(
  `  anchor, the same activations as JSON arrays (stringify → ws → parse, nothing stored): ${json.checkpoints} checkpoints, ${(json.jsonBytes / 1e9).toFixed(2)} GB of JSON in ${json.seconds.toFixed(1)} s → anchor ${jsonRate.toFixed(0)} MB/s of activations (binary is ${(rate / jsonRate).toFixed(1)}×)`,
);
console.log(
  `  targets: ingest ≥ 300 MB/s → ${rate >= 300 ? 'met' : 'NOT met'}; event-loop delay p99 ≤ 50 ms → ${loop.p99 <= 50 ? 'met' : 'NOT met'}, max ≤ 50 ms → ${loop.max <= 50 ? 'met' : 'NOT met'}`,
);
