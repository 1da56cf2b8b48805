/** Shared bench plumbing: flags, a child server, and percentile/format helpers. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ServerStats } from '../server/http/stats';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/e2e/chromium';

export const ROOT = path.resolve(import.meta.dirname, '..');
/** The server the benches start; BENCH_SERVER_CLI points at another checkout's bin/layerwatch.mjs (before/after comparisons). */
export const CLI = process.env.BENCH_SERVER_CLI ?? path.join(ROOT, 'bin/layerwatch.mjs');

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
  /** Stops the server; the data directory is removed unless `keepData`. */
  stop(keepData?: boolean): Promise<void>;
}

/** Value of `--name V` on the command line, as a string. */
export function strArg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/**
 * Starts `layerwatch serve --no-pages` in a child process on a fresh data directory, with GET /api/stats on
 * (LAYERWATCH_STATS=1). `--profile DIR` on the bench's command line runs the server under `node --cpu-prof`.
 */
export async function startBenchServer(
  extra: string[] = [],
  env: Record<string, string> = {},
  opts: { dataDir?: string; pages?: boolean } = {},
): Promise<BenchServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'lw-bench-')));
  const profile = strArg('profile');
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(profile)}`] : [];
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'serve', ...(opts.pages ? [] : ['--no-pages']), '--port', '0', '--data', dataDir, ...extra], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, LAYERWATCH_STATS: '1', ...env },
  });
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
    async stop(keepData = false) {
      // Idempotent: a server already stopped (or dead) is not waited for again.
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      if (!keepData) await rm(dataDir, { recursive: true, force: true });
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

export const mbps = (bytes: number, seconds: number) => bytes / 1e6 / seconds;
export const mib = (bytes: number) => `${(bytes / 1048576).toFixed(0)} MiB`;

/** The server's GET /api/stats (see server/http/stats.ts); `reset` starts a new measurement window. */
export async function serverStats(server: BenchServer, reset = false): Promise<ServerStats> {
  const res = await fetch(`${server.url}/api/stats${reset ? '?reset=1' : ''}`);
  if (!res.ok) throw new Error(`GET /api/stats: ${res.status}`);
  return (await res.json()) as ServerStats;
}

/** One line: event-loop delay and memory of the server. */
export function statsLine(s: ServerStats): string {
  const e = s.eventLoop;
  const cpu = (s.cpu.user + s.cpu.system) / s.cpu.wallMs;
  return `event-loop delay p50 ${ms(e.p50)}, p99 ${ms(e.p99)}, max ${ms(e.max)}; RSS ${mib(s.memory.rss)}; server CPU ${(cpu * 100).toFixed(0)}% of one core`;
}

/** Resolves after `ms` milliseconds. */
export const sleep = (t: number) => new Promise<void>((r) => setTimeout(r, t));

/** Median of a list of numbers. */
export const median = (values: number[]) => percentile(values, 50);

/** Debian's Chromium as every browser bench drives it, with the e2e suite's flags (test/e2e/chromium.ts). */
export async function launchChromium(): Promise<import('playwright-core').Browser> {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: [...CHROMIUM_ARGS] });
}
