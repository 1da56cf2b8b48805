/**
 * A viewer that pings /live every 100 ms from its own worker thread, so that what it measures is the server's
 * answer time, not the event loop of the process that floods the server (the fuzz clients run on the main thread).
 *
 * An answer's time leaves out the time the server's main thread (or this viewer thread) spent waiting for a CPU (the
 * run-queue delay of /proc/PID/task/PID/schedstat): on a machine loaded by other work the server can be starved for
 * seconds through no fault of its own, while a server that blocks its event loop (on CPU or on I/O) is still measured
 * in full. Without /proc (not Linux) the wall time is used.
 */
import { readFileSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';

/** A pong counts when it comes within this long of its ping (not counting the server's waits for a CPU). */
export const PONG_WITHIN_MS = 2000;
const PING_EVERY_MS = 100;
/** A ping still unanswered this long after the viewer stopped counts as never answered. */
const UNANSWERED_AFTER_MS = 30_000;

export interface PingResult {
  pings: number;
  /** Pings answered within PONG_WITHIN_MS. */
  pongs: number;
  /** Pings never answered (not even late, within UNANSWERED_AFTER_MS of the viewer's stop). */
  unanswered: number;
  /** The slowest answer, in ms of wall time (unanswered pings not counted), and without the server's CPU waits. */
  slowestMs: number;
  slowestServedMs: number;
  /** How long the server's main thread waited for a CPU while the viewer pinged, in ms (null without /proc). */
  serverCpuWaitMs: number | null;
}

export interface PingViewer {
  /** Stops pinging, waits for the answers still due (at most UNANSWERED_AFTER_MS), and returns the counts. */
  stop(): Promise<PingResult>;
}

/** Starts the viewer's worker on `url` (a /live URL) of the server process `serverPid`; resolves once it is connected and subscribed. */
export async function startPingViewer(url: string, serverPid: number | undefined): Promise<PingViewer> {
  // The worker runs this same module (through a bootstrap that registers the TypeScript loader).
  const worker = new Worker(new URL('./ping-viewer-entry.mjs', import.meta.url), { workerData: { pingViewerUrl: url, serverPid } });
  const result = new Promise<PingResult>((resolve, reject) => {
    worker.on('message', (m: { ready?: true; result?: PingResult }) => m.result && resolve(m.result));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the ping viewer exited (${code}) before its result`)));
  });
  await new Promise<void>((resolve, reject) => {
    worker.on('message', (m: { ready?: true }) => m.ready && resolve());
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await result;
      await worker.terminate();
      return r;
    },
  };
}

/** The run-queue delay so far of a process's main thread (or of this thread), in ms; null when the kernel does not say. */
function cpuWaitMs(pid: number | 'self' | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // "<ns on CPU> <ns waiting on a run queue> <timeslices>"
    const wait = Number(readFileSync(pid === 'self' ? '/proc/thread-self/schedstat' : `/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
    return Number.isFinite(wait) ? wait / 1e6 : null;
  } catch {
    return null;
  }
}

async function viewerThread(url: string, serverPid: number | undefined): Promise<void> {
  const ws = new WebSocket(url);
  await new Promise((r, j) => {
    ws.once('open', r);
    ws.once('error', j);
  });
  ws.on('error', () => {}); // a server that went away leaves pings unanswered, which is what is counted
  ws.send(JSON.stringify({ type: 'subscribe', topic: 'runs' }));
  let pings = 0;
  let pongs = 0;
  let slowestMs = 0;
  let slowestServedMs = 0;
  const firstWait = cpuWaitMs(serverPid);
  // Both ends wait for a CPU: the server to answer, this thread to read the answer. The larger of the two waits is left
  // out (never their sum, which could excuse more than the starvation when they overlap).
  const waits = () => ({ server: cpuWaitMs(serverPid), viewer: cpuWaitMs('self') });
  const waiting = new Map<number, { at: number; cpuWait: ReturnType<typeof waits> }>();
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as { type: string; id?: number };
    const sent = m.type === 'pong' && m.id !== undefined ? waiting.get(m.id) : undefined;
    if (sent === undefined) return;
    const ms = Date.now() - sent.at;
    const now = waits();
    const since = (k: 'server' | 'viewer') => (sent.cpuWait[k] !== null && now[k] !== null ? now[k]! - sent.cpuWait[k]! : 0);
    const served = ms - Math.max(since('server'), since('viewer'));
    if (served < PONG_WITHIN_MS) pongs++;
    slowestMs = Math.max(slowestMs, ms);
    slowestServedMs = Math.max(slowestServedMs, served);
    waiting.delete(m.id!);
  });
  let running = true;
  parentPort!.on('message', (m) => m === 'stop' && (running = false));
  parentPort!.postMessage({ ready: true });
  while (running) {
    waiting.set(++pings, { at: Date.now(), cpuWait: waits() });
    ws.send(JSON.stringify({ type: 'ping', id: pings }));
    await new Promise((r) => setTimeout(r, PING_EVERY_MS));
  }
  // The last pings are still due: wait for their answers (late ones count as late, not as unanswered), not a fixed time.
  const end = Date.now() + UNANSWERED_AFTER_MS;
  while (waiting.size && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  ws.close();
  const lastWait = cpuWaitMs(serverPid);
  const serverCpuWaitMs = firstWait !== null && lastWait !== null ? Math.round(lastWait - firstWait) : null;
  parentPort!.postMessage({
    result: { pings, pongs, unanswered: waiting.size, slowestMs, slowestServedMs: Math.round(slowestServedMs), serverCpuWaitMs } satisfies PingResult,
  });
}

const data = workerData as { pingViewerUrl?: string; serverPid?: number } | null;
if (!isMainThread && data?.pingViewerUrl) void viewerThread(data.pingViewerUrl, data.serverPid);
