/**
 * A seeded synthetic run streaming to a server under test (the simulator behind `layerwatch simulate`, in this
 * process). A test that watches a run live holds it (`holdAt`) until the page shows it, then releases it: on a loaded
 * machine a page can take longer to open than a whole simulated run takes to stream.
 */
import { simulateRun } from '../../clients/node/simulate';

export interface Simulation {
  /** Resolves with the run id once the simulator has said hello. */
  runId: Promise<string>;
  /** Resolves with 0 when the run has been streamed and ended, 1 when it failed or was stopped (the error in `error`). */
  done: Promise<number>;
  error: () => Error | null;
  /** Resolves once `holdAt` checkpoints are streamed and the run waits for `release()` (still live). */
  held: Promise<void>;
  /** Lets a held run stream on to its end. */
  release(): void;
  /** Aborts the run without ending it (as a killed trainer would). */
  stop(): void;
}

export interface SimulationOptions {
  checkpoints?: number;
  layers?: number;
  units?: number;
  examples?: number;
  interval?: number;
  seed?: number;
  /** Runs with the same probe seed share a probe set (their layers can be compared). */
  probeSeed?: number;
  name?: string;
  /** Checkpoints streamed before the run waits for `release()`; without it the run streams to its end. */
  holdAt?: number;
  /** Awaited before each checkpoint past the hold: lets a test stream in step with what the page shows. */
  pace?: (index: number) => Promise<void>;
  /** The server's port (the e2e server's unless given). */
  port?: number;
  token?: string;
}

/** Starts a seeded synthetic run (with concepts, as the CLI's default) streaming to the server under test. */
export function simulate(opts: SimulationOptions = {}): Simulation {
  const controller = new AbortController();
  let release = () => {};
  const gate = new Promise<void>((resolve) => (release = resolve));
  let onHeld = () => {};
  const held = new Promise<void>((resolve) => (onHeld = resolve));
  let onRun: (id: string) => void = () => {};
  const runId = new Promise<string>((resolve) => (onRun = resolve));
  let error: Error | null = null;
  const done = simulateRun({
    url: `ws://127.0.0.1:${opts.port ?? process.env.LW_E2E_PORT}/ingest`,
    checkpoints: opts.checkpoints ?? 30,
    layers: opts.layers ?? 4,
    units: opts.units ?? 32,
    examples: opts.examples ?? 300,
    intervalMs: opts.interval ?? 200,
    seed: opts.seed ?? 1,
    probeSeed: opts.probeSeed ?? 0,
    concepts: true,
    ...(opts.name ? { name: opts.name } : {}),
    ...(opts.token ? { token: opts.token } : {}),
    signal: controller.signal,
    onRun: (id) => onRun(id),
    beforeCheckpoint: async (i) => {
      if (i === opts.holdAt) {
        onHeld();
        await gate;
      }
      if (i > (opts.holdAt ?? -1)) await opts.pace?.(i);
    },
  }).then(
    () => (controller.signal.aborted ? 1 : 0),
    (err: Error) => {
      error = err;
      return 1;
    },
  );
  // A run that fails before its hello rejects `runId` with the reason.
  const named = Promise.race([runId, done.then(() => Promise.reject(error ?? new Error('the simulation ended before naming its run')))]);
  return {
    runId: named,
    done,
    error: () => error,
    held,
    release,
    stop: () => {
      controller.abort();
      release();
    },
  };
}
