/** Test helpers: a real server on port 0 over a fresh temp data directory, in-process or as a child process. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../../server/app';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const CLI = path.join(ROOT, 'bin/layerwatch.mjs');

/** Runs `layerwatch ARGS` to its end: exit code and output, whatever the code. */
export function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [CLI, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
}

export async function tempDir(prefix = 'lw-test-'): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), prefix));
}

export interface TestServer extends RunningServer {
  dataDir: string;
  ingestUrl: string;
  liveUrl: string;
}

/** Starts an in-process server (no pages) on a free port. */
export async function startTestServer(opts: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await tempDir());
  const server = await startServer({ host: '127.0.0.1', port: 0, dataDir, pages: false, workers: 1, log: () => {}, ...opts });
  const ws = server.url.replace(/^http/, 'ws');
  return { ...server, dataDir, ingestUrl: `${ws}/ingest`, liveUrl: `${ws}/live` };
}

export interface ChildServer {
  child: ChildProcess;
  url: string;
  ingestUrl: string;
  liveUrl: string;
  output: () => string;
}

/** Starts `layerwatch serve --no-pages` as a child process and waits for its URL. */
export function startChildServer(dataDir: string, extra: string[] = [], port = 0, env: Record<string, string> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [CLI, 'serve', '--no-pages', '--port', String(port), '--data', dataDir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 60 s:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/[^\s]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        const url = m[1];
        const ws = url.replace(/^http/, 'ws');
        resolve({ child, url, ingestUrl: `${ws}/ingest`, liveUrl: `${ws}/live`, output: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`server exited (${code}):\n${out}`)));
  });
}

/** Waits until `pred` is true, polling. */
export async function until(pred: () => boolean | Promise<boolean>, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
