/**
 * Disk full at the server level: the data directory on a 2 MiB tmpfs, nearly filled. The trainer must get DISK_FULL,
 * the server must stay up and keep serving, the log must hold exactly the acknowledged checkpoints, and ingest must
 * resume once space returns. Needs root (mount); returns { skipped } otherwise.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { IngestClient } from '../../clients/node/ingest-client';
import { startChildServer } from '../../test/integration/helpers/server';
import { auditDataDir, readCheckpoints } from './log-audit';
import { STEADY, streamCheckpoints } from './trainer';

export interface DiskFullResult {
  skipped?: string;
  diskFullErrors: number;
  ackedWhileFull: number;
  ackedAfter: number;
  serverAlive: boolean;
  liveAnswered: boolean;
  recordsLost: number;
  logsUnreadable: number;
}

/** Runs the disk-full scenario; the tmpfs is unmounted afterwards. */
export async function runDiskFull(log?: (line: string) => void): Promise<DiskFullResult> {
  const mnt = await fs.mkdtemp(path.join(os.tmpdir(), 'lw-full-'));
  const empty: DiskFullResult = {
    diskFullErrors: 0,
    ackedWhileFull: 0,
    ackedAfter: 0,
    serverAlive: false,
    liveAnswered: false,
    recordsLost: 0,
    logsUnreadable: 0,
  };
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (err) {
    await fs.rm(mnt, { recursive: true, force: true });
    return { ...empty, skipped: `cannot mount a tmpfs (${String((err as { stderr?: Buffer }).stderr ?? err).trim() || 'not permitted'}); run as root` };
  }
  const dataDir = path.join(mnt, 'data');
  const server = await startChildServer(dataDir, ['--workers', '1']);
  let alive = true;
  server.child.once('exit', () => (alive = false));
  try {
    const client = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'disk-full' } });
    await client.declare(STEADY.layers, { examples: STEADY.examples });
    // Leave about 48 KiB: a dozen checkpoints fit, then the disk is full.
    const { bavail, bsize } = await fs.statfs(mnt);
    const filler = path.join(mnt, 'filler.bin');
    await fs.writeFile(filler, Buffer.alloc(Math.max(0, bavail * bsize - 48 * 1024), 1));

    let refusals = 0;
    const full = await streamCheckpoints(client, STEADY, 1, { stop: () => refusals >= 5, inFlight: 1, retryMs: 50, onError: () => refusals++ });
    const diskFullErrors = full.errors.filter((e) => e === 'DISK_FULL').length;
    log?.(`disk-full: ${full.acked.length} acked before the disk filled, then ${full.errors.join(',')}`);

    // Still full: the server answers /api/health, /live and pings on the same connection.
    const healthy =
      alive &&
      (await fetch(`${server.url}/api/health`).then(
        (r) => r.ok,
        () => false,
      ));
    const liveAnswered = await livePing(server.liveUrl);
    const logFile = path.join(dataDir, 'runs', client.runId, 'log.lwlog');
    const whileFull = await readCheckpoints(logFile);
    const storedFull = new Set(whileFull.checkpoints.filter((c) => c.frames === c.layers).map((c) => c.step));

    // Space returns: the refused step is resent and ingest goes on.
    await fs.rm(filler);
    const next = Math.max(0, ...full.acked) + 1;
    let n = 0;
    const after = await streamCheckpoints(client, STEADY, next, { stop: () => n++ >= 10, inFlight: 1, retryMs: 50 });
    await client.end();
    await client.close();
    const aliveAfter = alive;
    server.child.kill('SIGTERM');
    await new Promise((r) => (server.child.exitCode !== null ? r(null) : server.child.once('exit', r)));
    const audit = await auditDataDir(dataDir);
    const stored = new Set((await readCheckpoints(logFile)).checkpoints.filter((c) => c.frames === c.layers).map((c) => c.step));
    const acked = [...full.acked, ...after.acked];
    return {
      diskFullErrors,
      ackedWhileFull: full.acked.length,
      ackedAfter: after.acked.length,
      serverAlive: healthy && aliveAfter,
      liveAnswered,
      recordsLost: acked.filter((s) => !stored.has(s)).length + full.acked.filter((s) => !storedFull.has(s)).length,
      logsUnreadable: audit.unreadable.length + audit.incomplete.length,
    };
  } finally {
    if (server.child.exitCode === null) server.child.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    try {
      execFileSync('umount', [mnt], { stdio: 'pipe' });
    } catch {
      // best effort; rm below then fails loudly if it is still mounted
    }
    await fs.rm(mnt, { recursive: true, force: true });
  }
}

async function livePing(url: string): Promise<boolean> {
  const ws = new WebSocket(url);
  try {
    await new Promise((r, j) => {
      ws.once('open', r);
      ws.once('error', j);
    });
    ws.send(JSON.stringify({ type: 'ping', id: 42 }));
    return await new Promise<boolean>((resolve) => {
      const t = setTimeout(() => resolve(false), 3000);
      ws.on('message', (d) => {
        if ((JSON.parse(String(d)) as { type: string }).type === 'pong') {
          clearTimeout(t);
          resolve(true);
        }
      });
    });
  } catch {
    return false;
  } finally {
    ws.close();
  }
}
