/** A well-behaved trainer for fault runs: streams seeded checkpoints (a few in flight) and remembers which steps were acknowledged. */
import { type IngestClient, IngestError } from '../../clients/node/ingest-client';
import { Rng } from '../../lib/random';

export interface SteadyRun {
  layers: Array<{ name: string; units: number }>;
  examples: number;
}

export const STEADY: SteadyRun = {
  layers: [
    { name: 'fc1', units: 16 },
    { name: 'fc2', units: 12 },
    { name: 'out', units: 4 },
  ],
  examples: 32,
};

/** Seeded activations for one checkpoint. */
export function steadyCheckpoint(run: SteadyRun, step: number): Array<{ layer: string; data: Float32Array; shape: number[] }> {
  return run.layers.map((l, i) => {
    const rng = new Rng(step * 97 + i);
    return { layer: l.name, data: rng.fillNormal(new Float32Array(l.units * run.examples)) as Float32Array, shape: [l.units, run.examples] };
  });
}

export interface StreamResult {
  acked: number[];
  /** Error codes the server answered with (DISK_FULL while the disk is full, for instance). */
  errors: string[];
  /** Why streaming stopped: 'stopped' (asked to), 'closed' (the connection went away). */
  reason: 'stopped' | 'closed';
}

/**
 * Sends checkpoints from `firstStep` on, keeping up to `inFlight` unacknowledged, until `stop()` is true or
 * the connection closes. A refused checkpoint (error reply) is retried with the same step after `retryMs`.
 */
export async function streamCheckpoints(
  client: IngestClient,
  run: SteadyRun,
  firstStep: number,
  opts: { stop: () => boolean; inFlight?: number; intervalMs?: number; retryMs?: number; onAck?: (step: number) => void; onError?: (code: string) => void },
): Promise<StreamResult> {
  const result: StreamResult = { acked: [], errors: [], reason: 'stopped' };
  const inFlight = opts.inFlight ?? 4;
  const pending = new Set<Promise<void>>();
  let step = firstStep;
  const retry: number[] = [];
  while (!opts.stop()) {
    if (!client.isOpen) {
      result.reason = 'closed';
      break;
    }
    if (pending.size >= inFlight) {
      await Promise.race(pending);
      continue;
    }
    const s = retry.length ? retry.shift()! : step++;
    const p: Promise<void> = client
      .checkpoint(s, steadyCheckpoint(run, s))
      .then(
        (ack) => {
          result.acked.push(ack.step ?? s);
          opts.onAck?.(ack.step ?? s);
        },
        (err: unknown) => {
          const code = err instanceof IngestError ? err.code : 'ERROR';
          result.errors.push(code);
          opts.onError?.(code);
          if (code !== 'CONNECTION_CLOSED') retry.push(s);
        },
      )
      .finally(() => pending.delete(p));
    pending.add(p);
    if (opts.intervalMs) await new Promise((r) => setTimeout(r, opts.intervalMs));
    if (retry.length && opts.retryMs) await new Promise((r) => setTimeout(r, opts.retryMs));
  }
  await Promise.allSettled([...pending]);
  result.acked.sort((a, b) => a - b);
  return result;
}
