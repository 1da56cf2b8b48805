/**
 * Importing a run log from elsewhere (another machine, a published example, an upload): the bytes are checked record
 * by record as they arrive (framing and CRCs here, contents by the caller's RecordSink) and written into a staging
 * directory inside the data directory, which becomes runs/<id>/ with one rename. The first record that cannot be
 * valid stops the import, so a bad file costs at most the bytes up to it, and a bad or interrupted import never
 * leaves a partial run behind.
 */
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { syncDir, writeFileAtomic } from './atomic-file';
import { splitBundle } from './log-bundle';
import { LogStreamReader, type RecordSink } from './log-stream-reader';
import { assertRunId, isValidRunId, slugifyRunId } from './run-id';
import { countRunLog, summaryFields, type Classify } from './run-counters';
import { RunIndex, type RunMeta } from './run-index';
import { RecordKind } from './run-log-format';
import { StorageError, writeErrorFromFs } from './storage-error';

/** What a strict validation found. */
export interface LogValidation {
  records: number;
  /** File size; every byte of it belongs to a valid record or the header. */
  bytes: number;
  /** The first kind-1 record's JSON (normally the trainer's hello), or null. */
  firstJson: unknown;
}

/** Options of importLog and importStream. */
export interface ImportOptions {
  /** Checks each record's contents (the server passes its protocol rules: server/runs/log-content-check.ts); one per import. */
  check: RecordSink;
  /** The run id to store it under; defaults to the hello's run id, its name, or the file name. */
  id?: string;
  /** The server's open index, so that it learns of the run; opened on `dir` otherwise. */
  index?: RunIndex;
  classify?: Classify;
  /** Checks the stored analysis an exported log carries (runs/<id>/analysis.lwlog, split off the log) against the log; throws to refuse the import. */
  checkAnalysis?: (analysisFile: string, logFile: string) => Promise<void>;
}

const READ_CHUNK = 1 << 20;

/** Strictly checks a whole log (header, every record, CRCs, no torn tail, and `check` on each record's contents); throws at the first problem. */
export async function validateLogFile(file: string, check?: RecordSink): Promise<LogValidation> {
  let firstJson: unknown;
  const reader = new LogStreamReader({
    header: (kind, length, offset) => check?.header?.(kind, length, offset),
    record: (rec) => {
      if (firstJson === undefined && rec.kind === RecordKind.Json) {
        try {
          firstJson = JSON.parse(rec.payload.toString('utf8'));
        } catch {
          firstJson = null;
        }
      }
      check?.record(rec);
    },
    end: (records) => check?.end?.(records),
  });
  for await (const chunk of createReadStream(await regularFile(file), { highWaterMark: READ_CHUNK })) reader.push(chunk as Buffer);
  const { records, bytes } = reader.end();
  return { records, bytes, firstJson: firstJson ?? null };
}

/** Imports a log file into DIR as the run runs/<id>/ (status from its end record, else interrupted). */
export async function importLog(dir: string, srcPath: string, opts: ImportOptions): Promise<RunMeta> {
  if (opts.id !== undefined) assertRunId(opts.id);
  const file = await regularFile(srcPath);
  return importStream(dir, createReadStream(file, { highWaterMark: READ_CHUNK }), srcPath, opts);
}

/** Imports a log arriving as a stream (`name` hints the run id); stops reading at the first record that cannot be valid. */
export async function importStream(dir: string, source: AsyncIterable<Uint8Array>, name: string, opts: ImportOptions): Promise<RunMeta> {
  if (opts.id !== undefined) assertRunId(opts.id);
  const index = opts.index ?? (await RunIndex.open(dir));
  const staging = await fs.mkdtemp(path.join(index.dir, '.import-'));
  try {
    const log = path.join(staging, 'log.lwlog');
    await receive(source, log, new LogStreamReader(opts.check));
    // An export carries the run's stored analysis (kind 4) after its log: it goes back into analysis.lwlog.
    const analysis = path.join(staging, 'analysis.lwlog');
    if ((await splitBundle(log, analysis)) > 0) await opts.checkAnalysis?.(analysis, log);
    const { size: bytes } = await fs.stat(log);
    const c = await countRunLog(log, opts.classify);
    const id = opts.id ?? pickId(c.hello, name);
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
      ...summaryFields(c),
    };
    await writeFileAtomic(path.join(staging, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
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

/** Writes the bytes that pass the reader to `file` (checked first: nothing after the first bad record reaches the disk); returns the size. */
async function receive(source: AsyncIterable<Uint8Array>, file: string, reader: LogStreamReader): Promise<number> {
  const fh = await fs.open(file, 'wx').catch((err: unknown) => {
    throw writeErrorFromFs(err, 'Creating the import file');
  });
  try {
    for await (const chunk of source) {
      reader.push(chunk);
      await fh.write(chunk).catch((err: unknown) => {
        throw writeErrorFromFs(err, 'Writing the import');
      });
    }
    const { bytes } = reader.end();
    await fh.sync();
    return bytes;
  } finally {
    await fh.close();
  }
}

/** The path of a regular file; anything else (a FIFO, /dev/zero, a directory) would hang, fill the disk, or fail obscurely. */
async function regularFile(srcPath: string): Promise<string> {
  const src = await fs.stat(srcPath).catch((err: unknown) => {
    throw new StorageError('NOT_A_LOG', `Cannot read ${srcPath}: ${(err as Error).message}`, { cause: err });
  });
  if (!src.isFile()) throw new StorageError('NOT_A_LOG', `${srcPath} is not a regular file`);
  return srcPath;
}

function pickId(hello: { id?: unknown; name?: unknown } | undefined, srcPath: string): string {
  if (isValidRunId(hello?.id)) return hello!.id as string;
  const fromName = typeof hello?.name === 'string' ? slugifyRunId(hello.name) : null;
  const id = fromName ?? slugifyRunId(path.basename(srcPath, path.extname(srcPath)));
  return assertRunId(id ?? '');
}
