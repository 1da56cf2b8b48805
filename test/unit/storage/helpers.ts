/** Shared builders for the storage tests: seeded randomness, temp dirs and record fixtures. */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../../../lib/random';

/** Seeded floats in [0, 1) (lib/random.ts's generator). */
export function seeded(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}

/** `n` seeded random bytes. */
export function randomBytes(rand: () => number, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 256) | 0;
  return out;
}

/** A fresh temp directory, removed by the returned cleanup. */
export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'lw-storage-'));
  return { dir, cleanup: () => fs.rm(dir, { recursive: true, force: true }) };
}

/** A record spec for building logs: kind, payload and receive time. */
export interface RecordSpec {
  kind: 1 | 2 | 3 | 4;
  payload: Uint8Array | string;
  time: number;
}

/** A seeded mix of JSON and binary records, like a small run. */
export function buildRecords(opts: { seed: number; count: number; maxBinary?: number }): RecordSpec[] {
  const rand = seeded(opts.seed);
  const out: RecordSpec[] = [{ kind: 1, payload: JSON.stringify({ type: 'hello', protocol: 1, run: { name: 'fixture' } }), time: 1_700_000_000_000 }];
  for (let i = 1; i < opts.count; i++) {
    const time = 1_700_000_000_000 + i * 10;
    const r = rand();
    if (r < 0.4) out.push({ kind: 1, payload: JSON.stringify({ type: 'scalars', step: i, values: { loss: 1 / i } }), time });
    else if (r < 0.8) out.push({ kind: 2, payload: randomBytes(rand, 1 + ((rand() * (opts.maxBinary ?? 4096)) | 0)), time });
    else out.push({ kind: 3, payload: JSON.stringify({ type: 'status', status: 'live', i }), time });
  }
  return out;
}

/** Bytes of a payload spec. */
export function bytesOf(p: Uint8Array | string): Buffer {
  return typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p);
}
