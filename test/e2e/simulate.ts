/** Spawns `layerwatch simulate` against the e2e server and reports the run id it streams to. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export interface Simulation {
  /** Resolves with the run id once the simulator has said hello. */
  runId: Promise<string>;
  /** Resolves with the exit code when the run has been streamed. */
  done: Promise<number | null>;
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
}

/** Starts a seeded synthetic run streaming to the server under test. */
export function simulate(opts: SimulationOptions = {}): Simulation {
  const port = process.env.LW_E2E_PORT;
  const args = [
    path.resolve('bin/layerwatch.mjs'), 'simulate', '--url', `ws://127.0.0.1:${port}/ingest`,
    '--checkpoints', String(opts.checkpoints ?? 30), '--layers', String(opts.layers ?? 4), '--units', String(opts.units ?? 32),
    '--examples', String(opts.examples ?? 300), '--interval', String(opts.interval ?? 200), '--seed', String(opts.seed ?? 1),
    ...(opts.probeSeed !== undefined ? ['--probe-seed', String(opts.probeSeed)] : []),
    ...(opts.name ? ['--name', opts.name] : []),
  ];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const runId = new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const m = /run (\S+) →/.exec(output);
      if (m) resolve(m[1]);
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`simulate exited (${code}) before naming its run:\n${output}`)));
  });
  const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { runId, done, stop: () => child.kill('SIGTERM') };
}
