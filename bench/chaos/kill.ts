/**
 * kill -9 at seeded random moments while a trainer streams into a child server. After each kill the log must read
 * (no partial record), hold every acknowledged checkpoint with all its frames; after each restart every log must
 * validate strictly, and the trainer resumes the run where its acks stopped.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { IngestClient } from '../../clients/node/ingest-client';
import { decodeFrame } from '../../lib/protocol';
import { deriveSeed, Rng } from '../../lib/random';
import { readRunLog } from '../../server/storage/run-log-reader';
import { startChildServer, tempDir } from '../../test/integration/helpers/server';
import { auditDataDir } from './log-audit';
import { STEADY, streamCheckpoints } from './trainer';

export interface KillOptions {
  kills: number;
  seed: number;
  log?: (line: string) => void;
}

export interface KillResult {
  kills: number;
  /** Kills after which the server restarted with every log valid and the run resumed. */
  survived: number;
  acked: number;
  recordsLost: number;
  /** Records a tolerant read returned that were not whole (bad JSON, undecodable frame). */
  partialRecords: number;
  logsUnreadable: number;
  /** Checkpoints stored without all their frames (torn between records of one checkpoint). */
  incompleteCheckpoints: number;
}

/** Runs the kill loop on a fresh data directory. */
export async function runKills(opts: KillOptions): Promise<KillResult> {
  const dataDir = await tempDir('lw-kill-');
  const result: KillResult = { kills: 0, survived: 0, acked: 0, recordsLost: 0, partialRecords: 0, logsUnreadable: 0, incompleteCheckpoints: 0 };
  const acked = new Set<number>();
  let runId: string | null = null;
  for (let k = 0; k <= opts.kills; k++) {
    const server = await startChildServer(dataDir, ['--workers', '1']);
    if (k > 0) {
      // Recovery ran at start: every log must now validate strictly.
      const audit = await auditDataDir(dataDir);
      result.logsUnreadable += audit.unreadable.length;
      result.incompleteCheckpoints += audit.incomplete.length;
      if (!audit.unreadable.length) result.survived++;
      for (const u of audit.unreadable) opts.log?.(`kill ${k}: unreadable log ${u.id}: ${u.error}`);
    }
    if (k === opts.kills) {
      server.child.kill('SIGTERM');
      await new Promise((r) => server.child.once('exit', r));
      break;
    }
    const client: IngestClient = await IngestClient.connect({
      url: server.ingestUrl,
      run: runId ? { id: runId } : { name: 'kill-9' },
      ...(runId ? { resume: true } : {}),
    });
    runId = client.runId;
    await client.declare(STEADY.layers, { examples: STEADY.examples });
    const from = Math.max(0, ...acked) + 1;
    let stop = false;
    const stream = streamCheckpoints(client, STEADY, from, { stop: () => stop, inFlight: 4, onAck: (s) => acked.add(s) });
    const r = new Rng(deriveSeed(opts.seed, k));
    await new Promise((res) => setTimeout(res, 20 + r.int(400)));
    server.child.kill('SIGKILL');
    await new Promise((res) => (server.child.exitCode !== null || server.child.signalCode !== null ? res(null) : server.child.once('exit', res)));
    result.kills++;
    stop = true;
    client.terminate();
    await stream;

    // Before any restart or repair: a tolerant read of the log as the crash left it.
    const seen = new Map<number, number>();
    let current = -1;
    for await (const rec of readRunLog(path.join(dataDir, 'runs', runId, 'log.lwlog'))) {
      try {
        if (rec.kind === 1) {
          const m = JSON.parse(rec.payload.toString('utf8')) as { type?: string; step?: number };
          if (m.type === 'checkpoint') seen.set((current = m.step!), 0);
        } else if (rec.kind === 2) {
          decodeFrame(rec.payload);
          if (current >= 0) seen.set(current, seen.get(current)! + 1);
        }
      } catch {
        result.partialRecords++;
      }
    }
    const lost = [...acked].filter((s) => seen.get(s) !== STEADY.layers.length);
    result.recordsLost += lost.length;
    if (lost.length) opts.log?.(`kill ${k}: acknowledged steps missing: ${lost.slice(0, 10).join(', ')}`);
  }
  result.acked = acked.size;
  if (!result.recordsLost && !result.logsUnreadable && !result.partialRecords && !result.incompleteCheckpoints)
    await rm(dataDir, { recursive: true, force: true });
  else opts.log?.(`kill: data kept for inspection in ${dataDir}`);
  opts.log?.(`kill: ${result.kills} kills, ${result.acked} checkpoints acknowledged`);
  return result;
}
