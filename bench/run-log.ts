/**
 * Run-log throughput: appends 4 MiB binary records (with backpressure on pendingBytes),
 * then reads them back with readRunLog and scanRunLog. Prints MB/s and the longest
 * event-loop stall while writing, and met / NOT met against the ingest targets. `--smoke` writes 16 MiB; `--mb N` sets the size.
 *   node --import tsx bench/run-log.ts [--smoke] [--mb 2048] [--dir /path]
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { RunLogWriter } from '../server/storage/run-log-writer';
import { readRunLog, scanRunLog } from '../server/storage/run-log-reader';

const argv = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const smoke = argv.includes('--smoke');
const totalMb = Number(flag('--mb') ?? (smoke ? 16 : 2048));
const recordBytes = smoke ? 256 << 10 : 4 << 20;
const highWater = Number(flag('--high-water-mb') ?? 64) * 1048576;
const WRITE_TARGET_MBS = 300;
const LOOP_TARGET_MS = 50;

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(flag('--dir') ?? os.tmpdir(), 'lw-bench-'));
  const file = path.join(dir, 'log.lwlog');
  try {
    const payload = new Uint8Array(recordBytes);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
    const count = Math.max(1, Math.round((totalMb * 1048576) / recordBytes));

    const writer = await RunLogWriter.open(file, { fsyncIntervalMs: 1000, highWaterMark: highWater });
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    let t = performance.now();
    for (let i = 0; i < count; i++) {
      writer.append(2, payload, Date.now());
      // Backpressure as the collector applies it: stop appending above the high-water mark.
      if (writer.needsDrain) await new Promise((r) => writer.once('drain', r));
      // Yield like a socket would between frames, so timers and I/O callbacks get their turn.
      else await new Promise((r) => setImmediate(r));
    }
    await writer.flush();
    const writeS = (performance.now() - t) / 1000;
    await writer.sync();
    const syncedS = (performance.now() - t) / 1000;
    loop.disable();
    await writer.close();
    const bytes = (await fs.stat(file)).size;
    const mb = bytes / 1e6;

    t = performance.now();
    let n = 0;
    for await (const rec of readRunLog(file)) n += rec.payload.length > 0 ? 1 : 0;
    const readS = (performance.now() - t) / 1000;
    if (n !== count) throw new Error(`read ${n} records, wrote ${count}`);

    t = performance.now();
    const scan = await scanRunLog(file);
    const scanS = (performance.now() - t) / 1000;
    if (scan.records !== count) throw new Error(`scan found ${scan.records} records`);

    const ms = (ns: number): string => (ns / 1e6).toFixed(1);
    console.log(`run-log bench: ${count} records × ${(recordBytes / 1048576).toFixed(2)} MiB = ${mb.toFixed(0)} MB in ${dir}`);
    console.log(`write: ${(mb / writeS).toFixed(0)} MB/s (flushed to the OS), ${(mb / syncedS).toFixed(0)} MB/s including the final fsync`);
    console.log(`event loop while writing: p99 ${ms(loop.percentile(99))} ms, max ${ms(loop.max)} ms`);
    console.log(`read (readRunLog, CRC-checked payloads): ${(mb / readS).toFixed(0)} MB/s`);
    console.log(`scan (scanRunLog, CRC only): ${(mb / scanS).toFixed(0)} MB/s`);
    // The log must keep up with ingest (its target, docs/performance.md) without stalling the loop that serves sockets.
    const met = (ok: boolean): string => (ok ? 'met' : 'NOT met');
    console.log(
      `targets: write ≥ ${WRITE_TARGET_MBS} MB/s (the ingest target) → ${met(mb / writeS >= WRITE_TARGET_MBS)}; event-loop delay p99 ≤ ${LOOP_TARGET_MS} ms → ${met(loop.percentile(99) / 1e6 <= LOOP_TARGET_MS)}`,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
