/**
 * Bench trainer side: a run of `layers × units × examples` checkpoints sent from pre-encoded frames as fast as the
 * server acknowledges them (a bounded window of checkpoints in flight), or paced to a byte rate.
 */
import { IngestClient, type IngestClientOptions } from '../clients/node/ingest-client';
import { encodeFrame } from '../lib/protocol';

/** Steps start here so every step has the same number of digits and can be patched into an encoded header in place. */
const STEP_BASE = 1_000_000_000;

export interface StreamShape {
  layers: number;
  units: number;
  examples: number;
}

/** Seeded uniform values in [-1, 1): activations-like floats (no NaN, so the finite scans run to the end). */
function fill(data: Float32Array, seed: number): Float32Array {
  let x = seed >>> 0 || 1;
  for (let i = 0; i < data.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    data[i] = (x >>> 0) / 2 ** 31 - 1;
  }
  return data;
}

/** A trainer connection plus `window` sets of encoded frames whose step digits are rewritten per checkpoint. */
export class CheckpointStream {
  readonly names: string[];
  readonly bytesPerCheckpoint: number;
  private readonly sets: Array<{ frames: Uint8Array[]; digits: number[]; inflight: Promise<unknown> | null }> = [];
  private next = 0;

  private constructor(
    readonly client: IngestClient,
    readonly shape: StreamShape,
    readonly window: number,
  ) {
    this.names = Array.from({ length: shape.layers }, (_, l) => `layer${l}`);
    this.bytesPerCheckpoint = shape.layers * shape.units * shape.examples * 4;
    const datas = this.names.map((_, l) => fill(new Float32Array(shape.units * shape.examples), 7 + l));
    const needle = new TextEncoder().encode(`"step":${STEP_BASE}`);
    for (let w = 0; w < window; w++) {
      const frames = this.names.map((layer, l) => encodeFrame({ run: client.runId, step: STEP_BASE, layer, shape: [shape.units, shape.examples] }, datas[l]));
      const digits = frames.map((f) => indexOf(f, needle) + needle.length - String(STEP_BASE).length);
      this.sets.push({ frames, digits, inflight: null });
    }
  }

  /** Connects a trainer, declares the layers and the probe set. */
  static async open(opts: Pick<IngestClientOptions, 'url' | 'run'> & Partial<IngestClientOptions>, shape: StreamShape, window = 4): Promise<CheckpointStream> {
    const client = await IngestClient.connect(opts);
    const labels = Array.from({ length: shape.examples }, (_, i) => i % 10);
    const layers = Array.from({ length: shape.layers }, (_, l) => ({ name: `layer${l}`, units: shape.units, kind: 'dense' as const }));
    await client.declare(layers, { examples: shape.examples, labels });
    return new CheckpointStream(client, shape, window);
  }

  /** Sends the next checkpoint once a frame set is free; resolves when it is sent, with the promise of its ack. */
  async send(): Promise<{ ack: Promise<unknown> }> {
    const i = this.next++;
    const set = this.sets[i % this.sets.length];
    // With an all-zero mask ws sends our buffers without copying them: reuse a set only after its checkpoint's ack.
    if (set.inflight) await set.inflight;
    const digits = String(STEP_BASE + i);
    for (let l = 0; l < set.frames.length; l++) {
      const f = set.frames[l];
      for (let d = 0; d < digits.length; d++) f[set.digits[l] + d] = digits.charCodeAt(d);
    }
    const ack = this.client.sendCheckpointFrames(STEP_BASE + i, this.names, set.frames);
    set.inflight = ack.catch(() => {});
    return { ack };
  }

  /** Checkpoints sent so far. */
  get sent(): number {
    return this.next;
  }

  /**
   * Streams checkpoints for `seconds` (or `count` checkpoints) with at most `window` unacknowledged; with `bytesPerSecond`,
   * paced to that rate. Resolves with what was acknowledged and the time from the first send to the last ack.
   */
  async run(opts: {
    seconds?: number;
    count?: number;
    bytesPerSecond?: number;
    signal?: AbortSignal;
  }): Promise<{ checkpoints: number; bytes: number; seconds: number }> {
    const t0 = performance.now();
    const until = opts.seconds !== undefined ? t0 + opts.seconds * 1000 : Infinity;
    const count = opts.count ?? Infinity;
    const inflight: Array<Promise<unknown>> = [];
    let acked = 0;
    for (let i = 0; i < count && performance.now() < until && !opts.signal?.aborted; i++) {
      if (opts.bytesPerSecond) {
        const due = t0 + ((i * this.bytesPerCheckpoint) / opts.bytesPerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      while (inflight.length >= this.window) await inflight.shift();
      const { ack } = await this.send();
      inflight.push(ack.then(() => void acked++));
    }
    await Promise.all(inflight);
    const seconds = (performance.now() - t0) / 1000;
    return { checkpoints: acked, bytes: acked * this.bytesPerCheckpoint, seconds };
  }
}

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length && i < 4096; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  throw new Error('step not found in the frame header');
}
