/**
 * Importing a run log from elsewhere (another machine, a published example): the
 * copy is validated inside the data directory and moved into runs/<id>/ with one
 * rename, so a bad or interrupted import never leaves a partial run behind.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir, writeFileAtomic } from './atomic-file';
import { splitBundle } from './log-bundle';
import { assertRunId, isValidRunId, slugifyRunId } from './run-id';
import { countRunLog, type Classify } from './run-counters';
import { RunIndex, type RunMeta } from './run-index';
import { RecordKind } from './run-log-format';
import { readRunLog, scanRunLog } from './run-log-reader';
import { StorageError, writeErrorFromFs } from './storage-error';

/** What a strict validation found. */
export interface LogValidation {
  records: number;
  /** File size; every byte of it belongs to a valid record or the header. */
  bytes: number;
  /** The first kind-1 record's JSON (normally the trainer's hello), or null. */
  firstJson: unknown;
}

/** Options of importLog. */
export interface ImportOptions {
  /** The run id to store it under; defaults to the hello's run id, its name, or the file name. */
  id?: string;
  /** The server's open index, so that it learns of the run; opened on `dir` otherwise. */
  index?: RunIndex;
  classify?: Classify;
  /** Checks the stored analysis an exported log carries (runs/<id>/analysis.lwlog, split off the log) against the log; throws to refuse the import. */
  checkAnalysis?: (analysisFile: string, logFile: string) => Promise<void>;
}

/** Strictly checks a whole log (header, every record, CRCs, no torn tail); throws NOT_A_LOG, LOG_VERSION, LOG_CORRUPT or LOG_TRUNCATED. */
export async function validateLogFile(file: string): Promise<LogValidation> {
  const scan = await scanRunLog(file, { strict: true });
  let firstJson: unknown = null;
  for await (const rec of readRunLog(file, { kinds: [RecordKind.Json], strict: true, to: scan.validEnd })) {
    try {
      firstJson = JSON.parse(rec.payload.toString('utf8'));
    } catch {
      firstJson = null;
    }
    break;
  }
  return { records: scan.records, bytes: scan.size, firstJson };
}

/** Copies a log into DIR, validates it and makes it the run runs/<id>/ (status from its end record, else interrupted; an export's analysis into analysis.lwlog). */
export async function importLog(dir: string, srcPath: string, opts: ImportOptions = {}): Promise<RunMeta> {
  if (opts.id !== undefined) assertRunId(opts.id);
  // Only a regular file: a FIFO, /dev/zero or a directory would hang, fill the disk, or fail obscurely.
  const src = await fs.stat(srcPath).catch((err: unknown) => {
    throw new StorageError('NOT_A_LOG', `Cannot read ${srcPath}: ${(err as Error).message}`, { cause: err });
  });
  if (!src.isFile()) throw new StorageError('NOT_A_LOG', `${srcPath} is not a regular file`);
  const index = opts.index ?? (await RunIndex.open(dir));
  const staging = await fs.mkdtemp(path.join(index.dir, '.import-'));
  try {
    const log = path.join(staging, 'log.lwlog');
    await fs.copyFile(srcPath, log).catch((err: unknown) => {
      throw writeErrorFromFs(err, `Copying ${srcPath}`);
    });
    // Validate the copy, not the source: the source may change while we read it.
    await validateLogFile(log);
    // An export carries the run's stored analysis (kind 4) after its log: it goes back into analysis.lwlog.
    const analysis = path.join(staging, 'analysis.lwlog');
    if ((await splitBundle(log, analysis)) > 0) await opts.checkAnalysis?.(analysis, log);
    const { size: bytes } = await fs.stat(log);
    const c = await countRunLog(log, opts.classify);
    const id = opts.id ?? pickId(c.hello, srcPath);
    if (index.get(id)) throw new StorageError('RUN_EXISTS', `A run with id "${id}" exists; import it under another id.`);
    const meta: RunMeta = {
      id,
      name: typeof c.hello?.name === 'string' ? c.hello.name : id,
      ...(typeof c.hello?.project === 'string' ? { project: c.hello.project } : {}),
      ...(c.hello?.config !== undefined ? { config: c.hello.config } : {}),
      status: c.end ?? 'interrupted',
      createdAt: c.firstTime ?? Date.now(),
      ...(c.lastTime !== null ? { endedAt: c.lastTime } : {}),
      checkpoints: c.checkpoints,
      lastStep: c.lastStep,
      layers: c.layers,
      bytes,
      ...(c.lastScalar ? { lastScalar: c.lastScalar } : {}),
    };
    await writeFileAtomic(path.join(staging, 'meta.json'), JSON.stringify(meta, null, 2) + '\n');
    try {
      await fs.rename(staging, index.runDir(id));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') throw new StorageError('RUN_EXISTS', `A run directory for "${id}" exists.`);
      throw writeErrorFromFs(err, `Moving the import into runs/${id}`);
    }
    await syncDir(path.dirname(index.runDir(id)));
    await index.adopt(meta);
    return meta;
  } finally {
    await fs.rm(staging, { recursive: true, force: true });
  }
}

function pickId(hello: { id?: unknown; name?: unknown } | undefined, srcPath: string): string {
  if (isValidRunId(hello?.id)) return hello!.id as string;
  const fromName = typeof hello?.name === 'string' ? slugifyRunId(hello.name) : null;
  const id = fromName ?? slugifyRunId(path.basename(srcPath, path.extname(srcPath)));
  return assertRunId(id ?? '');
}
