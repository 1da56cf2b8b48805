/** Audits run logs after faults: each must validate strictly (framing and the protocol's content rules), every JSON record must parse, and every checkpoint must hold all its frames. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { LogContentCheck } from '../../server/runs/log-content-check';
import { validateLogFile } from '../../server/storage/import';
import { readRunLog } from '../../server/storage/run-log-reader';

export interface LogContents {
  /** Checkpoint steps in log order, each with the number of frames that followed it. */
  checkpoints: Array<{ step: number; layers: number; frames: number }>;
  records: number;
}

/** Reads one log (strictly unless told otherwise) and groups its frames under their checkpoints. */
export async function readCheckpoints(file: string, strict = true): Promise<LogContents> {
  const checkpoints: LogContents['checkpoints'] = [];
  let records = 0;
  for await (const rec of readRunLog(file, { strict })) {
    records++;
    if (rec.kind === 1) {
      const msg = JSON.parse(rec.payload.toString('utf8')) as { type?: string; step?: number; layers?: string[] };
      if (msg.type === 'checkpoint') checkpoints.push({ step: msg.step!, layers: msg.layers!.length, frames: 0 });
    } else if (rec.kind === 2 && checkpoints.length) {
      checkpoints[checkpoints.length - 1].frames++;
    }
  }
  return { checkpoints, records };
}

export interface AuditResult {
  logs: number;
  /** Logs that fail strict validation or hold a JSON record that does not parse. */
  unreadable: Array<{ id: string; error: string }>;
  /** Checkpoints stored with fewer frames than they announced. */
  incomplete: Array<{ id: string; step: number }>;
}

/** Audits every runs/<id>/log.lwlog of a data directory but `skip` (call it while no run is being written). */
export async function auditDataDir(dataDir: string, skip: ReadonlySet<string> = new Set()): Promise<AuditResult> {
  const result: AuditResult = { logs: 0, unreadable: [], incomplete: [] };
  const ids = (await readdir(path.join(dataDir, 'runs')).catch(() => [] as string[])).filter((d) => !d.startsWith('.') && !skip.has(d));
  for (const id of ids) {
    const file = path.join(dataDir, 'runs', id, 'log.lwlog');
    result.logs++;
    try {
      // The servers of the chaos runs use the default limits: what they stored must pass the same rules on the way back.
      await validateLogFile(file, new LogContentCheck());
      const { checkpoints } = await readCheckpoints(file);
      for (const cp of checkpoints) if (cp.frames < cp.layers) result.incomplete.push({ id, step: cp.step });
    } catch (err) {
      result.unreadable.push({ id, error: `${(err as { code?: string }).code ?? ''} ${(err as Error).message}`.trim() });
    }
  }
  return result;
}
