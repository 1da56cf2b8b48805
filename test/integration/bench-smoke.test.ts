/** bench/ingest, latency, fanout, memory, max-shape and run-log with --smoke run in seconds and print their figure and target lines (so they cannot rot). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { it } from 'node:test';

const root = join(import.meta.dirname, '../..');

/** Runs a bench with --smoke; resolves with its stdout (fails on a non-zero exit). */
function smoke(bench: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`, '--smoke'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`bench/${bench}.ts --smoke exited ${code}\n${out}\n${err}`));
    });
  });
}

const number = String.raw`\d+(\.\d+)?`;

it('bench/ingest.ts --smoke prints MB/s, the event-loop delay, the JSON anchor and the targets', async () => {
  const out = await smoke('ingest');
  assert.match(out, new RegExp(`ingest ${number} MB/s`));
  assert.match(out, new RegExp(`event-loop delay p50 ${number} ms, p99 ${number} ms, max ${number} ms`));
  assert.match(out, new RegExp(`anchor ${number} MB/s of activations`));
  assert.match(out, /targets: ingest ≥ 300 MB\/s → (met|NOT met); event-loop delay p99 ≤ 50 ms → (met|NOT met)/);
});

it('bench/latency.ts --smoke prints p50/p95/p99 of scalar latency under ingest load and the target', async () => {
  const out = await smoke('latency');
  assert.match(out, new RegExp(`scalar latency \\(own trainer connection\\): n=[1-9]\\d* p50 ${number} ms, p95 ${number} ms, p99 ${number} ms`));
  assert.match(out, /same socket as the checkpoints/);
  assert.match(out, /target: p50\/p95\/p99 ≤ 5\/20\/50 ms \(own connection\) → (met|NOT met)/);
});

it('bench/fanout.ts --smoke prints the throughput drop, RSS, fan-out counters, viewer latency and the targets', async () => {
  const out = await smoke('fanout');
  assert.match(out, new RegExp(`no viewers: ingest ${number} MB/s`));
  assert.match(out, new RegExp(`ingest ${number} MB/s → drop -?${number}%`));
  assert.match(out, /fan-out during the ingest phase: \d+ deltas published, \d+ sent, \d+ snapshots/);
  assert.match(out, /server RSS during the fan-out phase and the stall: min \d+ MiB, max \d+ MiB/);
  assert.match(out, /stalled viewers: \d+ of \d+ dropped/);
  assert.match(out, new RegExp(`reading viewers: n=[1-9]\\d* p50 ${number} ms`));
  assert.match(out, /targets: throughput drop < 10% → (met|NOT met); latency p50\/p95\/p99 ≤ 5\/20\/50 ms → (met|NOT met)/);
});

it('bench/memory.ts --smoke prints RSS after the run, its make-up, the snapshot cost and the target', async () => {
  const out = await smoke('memory');
  assert.match(out, /server RSS: idle \d+ MiB, peak while streaming \d+ MiB, after the run \d+ MiB/);
  assert.match(out, /V8 heap used \d+ MiB/);
  assert.match(out, new RegExp(`snapshot: ${number} MB, [\\d,]+ points`));
  assert.match(out, /target: RSS after the run ≤ 512 MiB → (met|NOT met)/);
});

it('bench/max-shape.ts --smoke prints the snapshot size against its bound and a page of concept values', async () => {
  const out = await smoke('max-shape');
  assert.match(out, new RegExp(`snapshot +${number} KiB in ${number} ms \\(bound 1024 KiB: met\\)`));
  assert.match(out, new RegExp(`concept-units +512 units × 2 steps: ${number} KiB`));
});

it('bench/run-log.ts --smoke writes, reads back every record and prints MB/s, the event-loop delay and the targets', async () => {
  const out = await smoke('run-log');
  assert.match(out, /run-log bench: 64 records × 0\.25 MiB = \d+ MB/);
  assert.match(out, new RegExp(`write: ${number} MB/s \\(flushed to the OS\\), ${number} MB/s including the final fsync`));
  assert.match(out, new RegExp(`event loop while writing: p99 ${number} ms, max ${number} ms`));
  assert.match(out, new RegExp(`read \\(readRunLog, CRC-checked payloads\\): ${number} MB/s`));
  assert.match(out, new RegExp(`scan \\(scanRunLog, CRC only\\): ${number} MB/s`));
  assert.match(out, /targets: write ≥ 300 MB\/s \(the ingest target\) → (met|NOT met); event-loop delay p99 ≤ 50 ms → (met|NOT met)/);
});
