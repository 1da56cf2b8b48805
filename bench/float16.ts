/**
 * bench/float16: what the float16 store (docs/storage.md) changes in every metric. Each layer is compared as stored
 * float32 and as the float16 store would keep it (values / a power of two as binary16, read back × the scale), on the
 * reference cases and on a real run: examples/digits_mlp.py streamed to a bench server, each layer at each checkpoint
 * against the final one. Prints the largest change per metric, and the bytes.
 *
 *   node --import tsx bench/float16.ts [--epochs 30 --checkpoints 40] [--smoke]
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { similarity, type Activations, type Metric } from '../lib/analysis';
import { decodeHalf, encodeHalf, halfScale } from '../lib/codecs/float16';
import { readLayout } from '../server/analysis/offline';
import { DEFAULT_LIMITS } from '../server/http/limits';
import { poolSpatial, readFrame } from '../server/analysis/frame-reader';
import { loadLayer, referenceCases } from '../test/unit/analysis/fixtures';
import { numArg, ROOT, SMOKE, startBenchServer } from './helpers';

const exec = promisify(execFile);
const METRICS: Metric[] = ['svcca-k', 'svcca', 'cka', 'pwcca'];
const epochs = numArg('epochs', SMOKE ? 1 : 30);
const checkpoints = numArg('checkpoints', SMOKE ? 3 : 40);

/** The layer as the float16 store gives it back. */
function viaHalf(a: Activations): Activations {
  const data = Float32Array.from(a.data);
  const half = new Uint16Array(data.length);
  const scale = halfScale(data);
  encodeHalf(data, scale, half);
  const back = new Float32Array(data.length);
  decodeHalf(half, scale, back);
  return { ...a, data: back };
}

/** Largest |float16 − float32| per metric over the pairs. */
function changes(pairs: Array<[Activations, Activations]>): Record<string, number> {
  const worst: Record<string, number> = Object.fromEntries(METRICS.map((m) => [m, 0]));
  for (const [a, b] of pairs) {
    const ha = viaHalf(a),
      hb = viaHalf(b);
    for (const m of METRICS) {
      const exact = similarity(a, b, m).value,
        half = similarity(ha, hb, m).value;
      worst[m] = Math.max(worst[m], Math.abs(exact - half));
    }
  }
  return worst;
}

const line = (w: Record<string, number>) => METRICS.map((m) => `${m} ${w[m].toExponential(1)}`).join(', ');

const { cases } = referenceCases();
const ref = changes(cases.map((c) => [loadLayer(c.a.file), loadLayer(c.b.file)] as [Activations, Activations]));
console.log(`bench/float16: largest change of each metric, float16 store vs float32`);
console.log(`  reference cases (${cases.length} pairs): ${line(ref)}`);

const server = await startBenchServer(['--metrics', 'svcca-k']);
try {
  const { stdout } = await exec(
    '/usr/bin/python3',
    [path.join(ROOT, 'examples/digits_mlp.py'), '--url', server.ingestUrl, '--json', '--epochs', String(epochs), '--checkpoints', String(checkpoints)],
    { cwd: ROOT, timeout: 1_800_000 },
  );
  const runId = JSON.parse(stdout.trim().split('\n').at(-1)!).run_id as string;
  const file = path.join(server.dataDir, 'runs', runId, 'log.lwlog');
  const layout = await readLayout(file, DEFAULT_LIMITS);
  const pairs: Array<[Activations, Activations]> = [];
  let bytes = 0;
  layout.layers.forEach((_, l) => {
    const final = layout.frames[l].at(-1);
    if (!final) return;
    const b = poolSpatial(readFrame({ file, ...final }));
    for (const f of layout.frames[l].slice(0, -1)) {
      if (!f) continue;
      pairs.push([poolSpatial(readFrame({ file, ...f })), b]);
      bytes += f.length;
    }
  });
  console.log(
    `  real run, digits_mlp.py (${epochs} epochs, ${layout.steps.length} checkpoints; ${pairs.length} pairs, each layer to the final checkpoint): ${line(changes(pairs))}`,
  );
  console.log(`  bytes: ${(bytes / 1e6).toFixed(2)} MB of frames as float32, ${(bytes / 2e6).toFixed(2)} MB as float16 (payloads halve; headers stay)`);
} finally {
  await server.stop();
}
