/**
 * Hostile run-log files against a real server (a child process) while a well-behaved trainer streams: the crafted bad
 * logs of test/fixtures/hostile-logs.ts and seeded mutations of valid logs (bit flips, cuts, zero runs, lying lengths,
 * records dropped, duplicated, swapped or replaced by hostile messages and frames, all with valid CRCs) are uploaded
 * to POST /api/import, and some are planted in the data directory as runs and opened by a viewer. Every answer must
 * carry a stable code (never INTERNAL), an accepted log must be stored byte for byte and open, the server must stay up
 * and the trainer keep being served; afterwards every stored log but the planted ones must pass the content check.
 */
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { IngestClient } from '../../clients/node/ingest-client';
import { LiveClient } from '../../clients/node/live-client';
import { RunSnapshot } from '../../lib/protocol';
import { deriveSeed, Rng } from '../../lib/random';
import { RunIndex } from '../../server/storage/run-index';
import { RecordKind } from '../../server/storage/run-log-format';
import { craftLog, msg, validRunRecords, type CraftRecord } from '../../test/fixtures/craft-log';
import { HOSTILE_LOGS } from '../../test/fixtures/hostile-logs';
import { startChildServer, tempDir } from '../../test/integration/helpers/server';
import { hostileFrame, hostileJson, pick, randomBytes, type FrameContext } from './hostile';
import { auditDataDir, readCheckpoints, type AuditResult } from './log-audit';
import { STEADY, streamCheckpoints } from './trainer';

export interface HostileFilesOptions {
  /** Mutated logs uploaded (the crafted cases are always all uploaded too). */
  files: number;
  /** Mutated logs planted in the data directory and opened by a viewer. */
  planted: number;
  seed: number;
  log?: (line: string) => void;
}

export interface HostileFilesResult {
  uploaded: number;
  refused: number;
  accepted: number;
  /** Answers without a stable code, or with INTERNAL / IMPORT_FAILED, or a 5xx. */
  badAnswers: number;
  /** Accepted logs whose stored bytes differ from the upload, or that do not open. */
  acceptedBroken: number;
  /** Planted runs whose subscription got no parseable snapshot. */
  plantedUnopened: number;
  serverAlive: boolean;
  serverErrors: number;
  acked: number;
  recordsLost: number;
  audit: AuditResult;
  seconds: number;
}

const STABLE = /^(NOT_A_LOG|LOG_VERSION|LOG_CORRUPT|LOG_TRUNCATED|LOG_INVALID|RUN_EXISTS|BAD_RUN_ID)$/;

/** One seeded mutation of a valid run's records or bytes. */
export function mutatedLog(r: Rng, id: string): Buffer {
  const { run, records } = validRunRecords({ id, checkpoints: 2 + r.int(3), layers: 2, units: 3 + r.int(4), examples: 4 + r.int(6) });
  const ctx: FrameContext = { runId: id, step: 10, layers: run.layers, examples: run.probe.examples };
  const recs: CraftRecord[] = [...records];
  const at = () => r.int(recs.length);
  switch (r.int(9)) {
    case 0: {
      const bytes = craftLog(recs);
      for (let i = 1 + r.int(8); i > 0; i--) bytes[r.int(bytes.length)] ^= 1 << r.int(8);
      return bytes;
    }
    case 1: {
      const bytes = craftLog(recs);
      return bytes.subarray(0, r.int(bytes.length));
    }
    case 2: {
      const bytes = craftLog(recs);
      const from = 16 + r.int(bytes.length - 16);
      bytes.fill(0, from, Math.min(bytes.length, from + 1 + r.int(256)));
      return bytes;
    }
    case 3: {
      // A lying length in one record header (the CRC does not cover it).
      const bytes = craftLog(recs);
      let off = 16;
      for (let k = r.int(recs.length); k > 0; k--) off += 24 + Math.ceil(bytes.readUInt32LE(off + 4) / 8) * 8;
      bytes.writeUInt32LE(pick(r, [0, 1, 0x7fffffff, bytes.readUInt32LE(off + 4) + 8, r.int(1 << 20)]), off + 4);
      return bytes;
    }
    case 4:
      recs.splice(at(), 1);
      break;
    case 5: {
      const i = at();
      recs.splice(i, 0, recs[i]);
      break;
    }
    case 6: {
      const i = at(),
        j = at();
      [recs[i], recs[j]] = [recs[j], recs[i]];
      break;
    }
    case 7:
      recs.splice(1 + r.int(recs.length - 1), r.next() < 0.5 ? 1 : 0, msg(hostileJson(r, ctx)));
      break;
    default:
      recs.splice(1 + r.int(recs.length - 1), r.next() < 0.5 ? 1 : 0, {
        kind: pick(r, [RecordKind.Binary, RecordKind.Binary, RecordKind.Event]),
        payload: r.next() < 0.8 ? hostileFrame(r, ctx, 1 << 20) : randomBytes(r, r.int(64)),
      });
  }
  return craftLog(recs);
}

/** Runs the file cases; the server is started and stopped here. */
export async function runHostileFiles(opts: HostileFilesOptions): Promise<HostileFilesResult> {
  const started = Date.now();
  const dataDir = await tempDir('lw-files-');
  const planted = await plant(dataDir, opts);
  const server = await startChildServer(dataDir, ['--workers', '1']);
  let alive = true;
  let stopping = false;
  server.child.once('exit', (code, signal) => {
    alive = false;
    if (!stopping) opts.log?.(`files: the server exited (${code ?? signal}):\n${server.output().slice(-4000)}`);
  });
  const result = { uploaded: 0, refused: 0, accepted: 0, badAnswers: 0, acceptedBroken: 0, plantedUnopened: 0 };

  let uploading = true;
  const trainer = await IngestClient.connect({ url: server.ingestUrl, run: { name: 'steady beside the files' } });
  await trainer.declare(STEADY.layers, { examples: STEADY.examples });
  const steady = streamCheckpoints(trainer, STEADY, 1, { stop: () => !uploading, inFlight: 2, intervalMs: 20 });
  const live = await LiveClient.connect({ url: server.liveUrl, validate: true });
  const opens = async (id: string): Promise<boolean> => {
    live.subscribe(`run:${id}`);
    const m = await live
      .waitFor((x) => (x.type === 'snapshot' && x.topic === `run:${id}`) || (x.type === 'error' && x.topic === `run:${id}`), 20_000)
      .catch(() => null);
    live.ws.send(JSON.stringify({ type: 'unsubscribe', topic: `run:${id}` }));
    return m?.type === 'snapshot' && RunSnapshot.safeParse(m.run).success;
  };

  const cases: Array<{ name: string; bytes: Buffer }> = HOSTILE_LOGS.map((h) => ({ name: h.name, bytes: h.bytes() }));
  for (let i = 0; i < opts.files; i++) cases.push({ name: `mutated-${i}`, bytes: mutatedLog(new Rng(deriveSeed(opts.seed, 7, i)), `mutated-${i}`) });
  for (const c of cases) {
    if (!alive) break;
    result.uploaded++;
    const res = await fetch(`${server.url}/api/import`, { method: 'POST', body: new Uint8Array(c.bytes), headers: { 'x-filename': `${c.name}.lwlog` } }).catch(
      () => null,
    );
    const body = res ? ((await res.json().catch(() => ({}))) as { run?: { id: string }; error?: { code?: string } }) : {};
    if (res?.status === 200 && body.run) {
      result.accepted++;
      const stored = await fetch(`${server.url}/api/runs/${body.run.id}/log`).then(
        (x) => x.arrayBuffer(),
        () => new ArrayBuffer(0),
      );
      if (!Buffer.from(stored).equals(c.bytes) || !(await opens(body.run.id))) {
        result.acceptedBroken++;
        opts.log?.(`files: ${c.name} was accepted as ${body.run.id} but is not stored intact or does not open`);
      }
    } else if (res && res.status >= 400 && res.status < 500 && STABLE.test(body.error?.code ?? '')) {
      result.refused++;
    } else {
      result.badAnswers++;
      opts.log?.(`files: ${c.name}: HTTP ${res?.status ?? 'no answer'} ${JSON.stringify(body).slice(0, 300)}`);
    }
  }
  for (const id of planted) {
    if (!alive || (await opens(id))) continue;
    result.plantedUnopened++;
    opts.log?.(`files: planted run ${id} did not open`);
  }
  uploading = false;
  const stream = await steady;
  live.close();
  await trainer.end().catch(() => {});
  await trainer.close();
  const serverAlive =
    alive &&
    (await fetch(`${server.url}/api/health`).then(
      (r) => r.ok,
      () => false,
    ));

  stopping = true;
  server.child.kill('SIGTERM');
  await new Promise((r) => (server.child.exitCode !== null ? r(null) : server.child.once('exit', r)));
  const audit = await auditDataDir(dataDir, new Set(planted));
  const stored = new Set(
    (await readCheckpoints(path.join(dataDir, 'runs', trainer.runId, 'log.lwlog'))).checkpoints.filter((c) => c.frames === c.layers).map((c) => c.step),
  );
  const recordsLost = stream.acked.filter((s) => !stored.has(s)).length;
  const clean = !recordsLost && !audit.unreadable.length && !audit.incomplete.length && !result.badAnswers && !result.acceptedBroken && !result.plantedUnopened;
  if (clean) await rm(dataDir, { recursive: true, force: true });
  else opts.log?.(`files: data kept for inspection in ${dataDir}`);
  return {
    ...result,
    serverAlive,
    serverErrors: (server.output().match(/internal error|unhandled rejection|\nhttp: /g) ?? []).length,
    acked: stream.acked.length,
    recordsLost,
    audit,
    seconds: (Date.now() - started) / 1000,
  };
}

/** Plants crafted and record-level mutated logs as runs of the data directory (as a hand-edited or old one would hold them). */
async function plant(dataDir: string, opts: HostileFilesOptions): Promise<string[]> {
  const index = await RunIndex.open(dataDir);
  const ids: string[] = [];
  const logs: Array<[string, Buffer]> = HOSTILE_LOGS.filter((h) => h.name !== 'text-record-over-limit').map((h) => [`planted-${h.name}`, h.bytes()]);
  for (let i = 0; i < opts.planted; i++) {
    const r = new Rng(deriveSeed(opts.seed, 11, i));
    logs.push([`planted-mutated-${i}`, mutatedLog(r, `planted-mutated-${i}`)]);
  }
  for (const [id, bytes] of logs) {
    await index.create({ id, name: id, status: 'finished', createdAt: Date.now(), checkpoints: 0, lastStep: null, layers: 0, bytes: bytes.length });
    await writeFile(index.logPath(id), bytes);
    ids.push(id);
  }
  await index.flush();
  return ids;
}
