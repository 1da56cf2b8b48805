/** Shared bench plumbing: flags, a child server, and percentile/format helpers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..');
export const CLI = path.join(ROOT, 'bin/layerwatch.mjs');

/** True when the bench was started with --smoke (tiny sizes; a test runs it). */
export const SMOKE = process.argv.includes('--smoke');

/** Value of `--name V` on the command line, as a number, or the fallback. */
export function numArg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? Number(process.argv[i + 1]) : fallback;
}

export interface BenchServer {
  child: ChildProcess;
  url: string;
  ingestUrl: string;
  liveUrl: string;
  dataDir: string;
  stop(): Promise<void>;
}

/** Starts `layerwatch serve --no-pages` in a child process on a fresh data directory. */
export async function startBenchServer(extra: string[] = [], env: Record<string, string> = {}): Promise<BenchServer> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'lw-bench-'));
  const child = spawn(process.execPath, [CLI, 'serve', '--no-pages', '--port', '0', '--data', dataDir, ...extra], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  const ws = url.replace(/^http/, 'ws');
  return {
    child,
    url,
    ingestUrl: `${ws}/ingest`,
    liveUrl: `${ws}/live`,
    dataDir,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The p-th percentile (0-100) of a list of numbers. */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
}

export const ms = (v: number) => `${v.toFixed(v < 10 ? 2 : 0)} ms`;
