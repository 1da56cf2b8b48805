/**
 * Fuzz a real server (a child process): many connections send seeded malformed and hostile messages on /ingest,
 * /live and raw TCP while a well-behaved trainer streams and a viewer pings. Afterwards every stored log must
 * validate and the trainer's acknowledged checkpoints must all be in its log.
 */
import { rm } from 'node:fs/promises';
import net from 'node:net';
import WebSocket from 'ws';
import { IngestClient } from '../../clients/node/ingest-client';
import { deriveSeed, Rng } from '../../lib/random';
import { startChildServer, tempDir, type ChildServer } from '../../test/integration/helpers/server';
import { clientTextFrame, tcpWebSocket } from '../../test/integration/helpers/raw-socket';
import { hostileFrame, hostileJson, hostileLive, hostileName, pick, randomBytes, validFrame, type FrameContext, type Message } from './hostile';
import { auditDataDir, readCheckpoints, type AuditResult } from './log-audit';
import { startPingViewer } from './ping-viewer';
import { STEADY, streamCheckpoints } from './trainer';
import path from 'node:path';

export interface FuzzOptions {
  frames: number;
  seed: number;
  /** Concurrent hostile connections. */
  concurrency?: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  framesFuzzed: number;
  connections: number;
  serverAlive: boolean;
  /** Internal errors and unhandled rejections the server logged (each one a bug, even when it survived). */
  serverErrors: number;
  /** Well-behaved checkpoints acknowledged during the fuzz, and those missing from the log afterwards. */
  acked: number;
  recordsLost: number;
  /**
   * Pings of the viewer (its own thread) answered within 2 s not counting the server's waits for a CPU / sent / never
   * answered; the slowest answer in wall time and without those waits, and their total (ping-viewer.ts).
   */
  livePongs: number;
  livePings: number;
  liveUnanswered: number;
  liveSlowestMs: number;
  liveSlowestServedMs: number;
  serverCpuWaitMs: number | null;
  /** Issue 21's connection cases: sessions of each, runs created beyond one per connection (must be 0), cross-origin upgrades let in (must be 0). */
  connectionCases: ConnectionCases;
  audit: AuditResult;
  seconds: number;
}

const MAX_FRAME = 2 * 1024 * 1024;

/** Runs the fuzz; the server is started and stopped here. */
export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const started = Date.now();
  const dataDir = await tempDir('lw-fuzz-');
  // A short handshake deadline, so the idle sockets of the corpus are closed within the fuzz.
  const server = await startChildServer(dataDir, ['--max-frame', String(MAX_FRAME), '--workers', '1', '--handshake-timeout', '1000']);
  let alive = true;
  const budget = { left: opts.frames, sent: 0, connections: 0 };
  let stopping = false;
  server.child.once('exit', (code, signal) => {
    alive = false;
    budget.left = 0;
    if (!stopping) opts.log?.(`fuzz: the server exited (${code ?? signal}):\n${server.output().slice(-4000)}`);
  });
  const runIds: string[] = [];
  const cases: ConnectionCases = { pipelinedHellos: 0, idleSockets: 0, crossOrigin: 0, ghostRuns: 0, crossOriginAccepted: 0, idleNotClosed: 0 };

  // The well-behaved trainer and viewer run for the whole fuzz.
  let fuzzing = true;
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'steady' } });
  await trainer.declare(STEADY.layers, { examples: STEADY.examples });
  const steady = streamCheckpoints(trainer, STEADY, 1, { stop: () => !fuzzing, inFlight: 2, intervalMs: 10 });
  const viewer = await startPingViewer(server.liveUrl, server.child.pid);

  const workers = Array.from({ length: opts.concurrency ?? 8 }, (_, w) =>
    (async () => {
      for (let session = 0; budget.left > 0; session++) {
        budget.connections++;
        const r = new Rng(deriveSeed(opts.seed, w, session));
        await fuzzSession(r, server, budget, runIds).catch(() => {});
      }
    })(),
  );
  // One more worker takes issue 21's connection cases in turn, so every seed tries each of them.
  workers.push(
    (async () => {
      for (let session = 0; budget.left > 0; session++) {
        budget.connections++;
        await connectionCase(new Rng(deriveSeed(opts.seed, 1000, session)), session % 3, server, budget, cases).catch(() => {});
      }
    })(),
  );
  await Promise.all(workers);
  const live = await viewer.stop();
  fuzzing = false;
  const stream = await steady;
  await trainer.end().catch(() => {});
  await trainer.close();
  const stillAlive =
    alive &&
    (await fetch(`${server.url}/api/health`).then(
      (r) => r.ok,
      () => false,
    ));

  // A graceful stop, then every log must validate strictly.
  stopping = true;
  server.child.kill('SIGTERM');
  await new Promise((r) => (server.child.exitCode !== null ? r(null) : server.child.once('exit', r)));
  const audit = await auditDataDir(dataDir);
  const stored = new Set(
    (await readCheckpoints(path.join(dataDir, 'runs', trainer.runId, 'log.lwlog'))).checkpoints.filter((c) => c.frames === c.layers).map((c) => c.step),
  );
  const lost = stream.acked.filter((s) => !stored.has(s)).length;
  if (!lost && !audit.unreadable.length && !audit.incomplete.length) await rm(dataDir, { recursive: true, force: true });
  else opts.log?.(`fuzz: data kept for inspection in ${dataDir}`);
  opts.log?.(
    `fuzz: ${budget.sent} frames over ${budget.connections} connections; steady trainer ${stream.acked.length} acked, errors ${[...new Set(stream.errors)].join(',') || 'none'}`,
  );
  return {
    framesFuzzed: budget.sent,
    connections: budget.connections,
    serverAlive: stillAlive,
    serverErrors: (server.output().match(/internal error|unhandled rejection/g) ?? []).length,
    acked: stream.acked.length,
    recordsLost: lost,
    livePings: live.pings,
    livePongs: live.pongs,
    liveUnanswered: live.unanswered,
    liveSlowestMs: live.slowestMs,
    liveSlowestServedMs: live.slowestServedMs,
    serverCpuWaitMs: live.serverCpuWaitMs,
    connectionCases: cases,
    audit,
    seconds: (Date.now() - started) / 1000,
  };
}

type Budget = { left: number; sent: number; connections: number };

/** One hostile connection: mostly /ingest, sometimes /live or raw TCP. */
async function fuzzSession(r: Rng, server: ChildServer, budget: Budget, runIds: string[]): Promise<void> {
  const kind = r.next();
  if (kind < 0.03) return rawTcp(r, server, budget);
  const live = kind < 0.13;
  const ws = new WebSocket(live ? server.liveUrl : server.ingestUrl, { perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
  ws.on('error', () => {});
  let welcome: { runId?: string } | null = null;
  ws.on('message', (d, binary) => {
    if (binary) return;
    try {
      const m = JSON.parse(String(d)) as { type?: string; runId?: string };
      if (m.type === 'welcome' && m.runId) welcome = m;
    } catch {
      // the server only sends JSON; ignore anything else
    }
  });
  const opened = await new Promise<boolean>((resolve) => {
    ws.once('open', () => resolve(true));
    ws.once('error', () => resolve(false));
    ws.once('unexpected-response', () => resolve(false));
  });
  if (!opened) return;
  const send = async (m: Message) => {
    if (budget.left <= 0 || ws.readyState !== WebSocket.OPEN) return false;
    budget.left--;
    budget.sent++;
    ws.send(m);
    // Do not outrun the socket: hostile, but not a local memory test of the client.
    if (ws.bufferedAmount > 8 * 1024 * 1024) await new Promise((res) => setTimeout(res, 20));
    return true;
  };
  const n = 5 + r.int(40);
  if (live) {
    for (let i = 0; i < n; i++) if (!(await send(hostileLive(r, runIds)))) break;
  } else {
    const ctx: FrameContext = {
      runId: 'unknown',
      step: 1,
      layers: [
        { name: hostileName(r, 'a'), units: 1 + r.int(8) },
        { name: 'b', units: 1 + r.int(4) },
      ],
      examples: 2 + r.int(16),
    };
    if (ctx.layers[0].name === 'b' || ctx.layers[0].name === '') ctx.layers[0].name = 'a';
    if (r.next() < 0.15) {
      for (let i = 0; i < 3 && (await send(r.next() < 0.5 ? hostileJson(r, ctx) : hostileFrame(r, ctx, MAX_FRAME))); i++);
    } else {
      const resume = runIds.length > 0 && r.next() < 0.2;
      const hello = {
        type: 'hello',
        protocol: 1,
        run: {
          ...(resume ? { id: pick(r, runIds) } : {}),
          name: hostileName(r, 'fuzz'),
          ...(r.next() < 0.2 ? { config: { nested: JSON.parse('['.repeat(30) + ']'.repeat(30)), text: hostileName(r, 'x') } } : {}),
        },
        ...(resume ? { resume: true } : {}),
      };
      await send(JSON.stringify(hello));
      const t0 = Date.now();
      while (!welcome && ws.readyState === WebSocket.OPEN && Date.now() - t0 < 2000) await new Promise((res) => setTimeout(res, 5));
      const w = welcome as { runId?: string } | null;
      if (w?.runId) {
        ctx.runId = w.runId;
        if (!resume) runIds.push(w.runId);
        if (r.next() < 0.8) {
          await send(JSON.stringify({ type: 'layers', layers: ctx.layers }));
          await send(JSON.stringify({ type: 'probe', examples: ctx.examples }));
        }
      }
      for (let i = 0; i < n && ws.readyState === WebSocket.OPEN; i++) {
        const roll = r.next();
        if (roll < 0.25) {
          // A valid checkpoint, sometimes interleaved with hostile frames or cut short.
          ctx.step += 1 + r.int(3);
          await send(JSON.stringify({ type: 'checkpoint', step: ctx.step, layers: ctx.layers.map((l) => l.name) }));
          for (const l of ctx.layers) {
            if (r.next() < 0.1) await send(hostileFrame(r, ctx, MAX_FRAME));
            else if (r.next() < 0.95) await send(validFrame(r, ctx, l));
          }
        } else if (roll < 0.6) {
          await send(hostileFrame(r, ctx, MAX_FRAME));
        } else {
          await send(hostileJson(r, ctx));
        }
        if (r.next() < 0.1) await new Promise((res) => setTimeout(res, r.int(20)));
      }
    }
  }
  if (r.next() < 0.3) ws.terminate();
  else ws.close();
}

/** Garbage on the raw TCP port: broken HTTP, a half upgrade, random bytes. */
async function rawTcp(r: Rng, server: ChildServer, budget: Budget): Promise<void> {
  const { port } = new URL(server.url);
  const sock = net.connect(Number(port), '127.0.0.1');
  sock.on('error', () => {});
  const connected = await new Promise<boolean>((res) => {
    sock.once('connect', () => res(true));
    sock.once('error', () => res(false));
    sock.once('close', () => res(false));
  });
  if (!connected) return;
  budget.left--;
  budget.sent++;
  const key = Buffer.from(randomBytes(r, 16)).toString('base64');
  sock.write(
    pick(r, [
      Buffer.from(randomBytes(r, 1 + r.int(1024))),
      Buffer.from(
        `GET /ingest HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      ),
      Buffer.from(`GET /live HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 99\r\n\r\n`),
      Buffer.from(`GET /api/runs/${'%'.repeat(r.int(50))} HTTP/1.1\r\nHost: x\r\n\r\n`),
      Buffer.from(`POST /api/runs HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc`),
    ]),
  );
  await new Promise((res) => setTimeout(res, r.int(50)));
  sock.destroy();
}

export interface ConnectionCases {
  pipelinedHellos: number;
  idleSockets: number;
  crossOrigin: number;
  /** Welcomes beyond the first on one connection: each would be a run left live (must be 0). */
  ghostRuns: number;
  /** Upgrades with a foreign Origin that got a websocket (must be 0). */
  crossOriginAccepted: number;
  /** Idle sockets still open 5 s after the 1 s handshake deadline (must be 0). */
  idleNotClosed: number;
}

/** Issue 21's hostile connections: hellos pipelined in one write, idle sockets, and upgrades from a foreign Origin. */
async function connectionCase(r: Rng, which: number, server: ChildServer, budget: Budget, cases: ConnectionCases): Promise<void> {
  budget.left--;
  budget.sent++;
  switch (which) {
    case 0: {
      cases.pipelinedHellos++;
      const c = await tcpWebSocket(server.ingestUrl);
      const n = 2 + r.int(200);
      const frames = Array.from({ length: n }, (_, i) =>
        clientTextFrame(JSON.stringify({ type: 'hello', protocol: 1, run: { name: hostileName(r, `pipelined ${i}`) } })),
      );
      frames.push(clientTextFrame(JSON.stringify({ type: 'layers', layers: [{ name: 'a', units: 2 }] })));
      c.sock.write(Buffer.concat(frames));
      const t0 = Date.now();
      while (c.messages().length < n + 1 && Date.now() - t0 < 5000) await new Promise((res) => setTimeout(res, 20));
      cases.ghostRuns += Math.max(0, c.messages().filter((m) => m.type === 'welcome').length - 1);
      c.sock.destroy();
      return;
    }
    case 1: {
      cases.idleSockets++;
      const ws = new WebSocket(r.next() < 0.5 ? server.ingestUrl : server.liveUrl, { perMessageDeflate: false });
      ws.on('error', () => {});
      const closed = new Promise<void>((res) => ws.once('close', () => res()));
      const opened = await Promise.race([new Promise<boolean>((res) => ws.once('open', () => res(true))), closed.then(() => false)]);
      // The deadline runs from the upgrade: 1 s, plus slack for a server busy with the rest of the fuzz.
      if (opened && !(await Promise.race([closed.then(() => true), new Promise<boolean>((res) => setTimeout(() => res(false), 6000))]))) cases.idleNotClosed++;
      ws.terminate();
      return;
    }
    default: {
      cases.crossOrigin++;
      const ws = new WebSocket(r.next() < 0.5 ? server.ingestUrl : server.liveUrl, {
        perMessageDeflate: false,
        headers: { origin: pick(r, ['http://evil.example', 'null', 'http://127.0.0.1.evil.example:80']) },
      });
      ws.on('error', () => {});
      const opened = await new Promise<boolean>((res) => {
        ws.once('open', () => res(true));
        ws.once('error', () => res(false));
        ws.once('unexpected-response', () => res(false));
      });
      if (opened) cases.crossOriginAccepted++;
      ws.terminate();
    }
  }
}
