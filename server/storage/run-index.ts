/**
 * The data directory's catalogue: DIR/index.json lists every run's meta so that a
 * run list reads one file; DIR/runs/<id>/meta.json is each run's own copy and the
 * source for rebuilding a lost index. Writes are atomic and coalesced.
 */
import type { RunMeta } from '../../lib/protocol';
import fs from 'node:fs/promises';
import path from 'node:path';
import { isAtomicLeftover, syncDir, writeFileAtomic } from './atomic-file';
import { assertRunId, isValidRunId } from './run-id';
import { countRunLog, defaultClassify, summaryFields, type Classify } from './run-counters';
import { repairRunLog } from './run-log-repair';
import { StorageError, writeErrorFromFs } from './storage-error';

/** What the index keeps about a run: the protocol's RunMeta, one definition for disk and wire. */
export type { RunMeta, RunStatus } from '../../lib/protocol';

/** Options of RunIndex.open. */
export interface RunIndexOptions {
  /** How recover() recognises checkpoints and scalars; defaults to a loose JSON parse of kind-1 records. */
  classify?: Classify;
  /** update() writes at most this often (ms); flush() writes at once. Default 250. */
  coalesceMs?: number;
}

/** What recover() did to one run. */
export interface RecoveredRun {
  id: string;
  droppedBytes: number;
  corruptRanges: number;
}

const STATUSES = new Set<string>(['live', 'finished', 'failed', 'interrupted']);
const INDEX_VERSION = 1;

/** The run catalogue of one data directory. */
export class RunIndex {
  /** Opens DIR (creating it), loading index.json or rebuilding it from every runs/<id>/meta.json. */
  static async open(dir: string, opts: RunIndexOptions = {}): Promise<RunIndex> {
    const index = new RunIndex(path.resolve(dir), opts);
    await fs.mkdir(path.join(index.dir, 'runs'), { recursive: true }).catch((err: unknown) => {
      throw writeErrorFromFs(err, `Cannot create the data directory ${dir}`);
    });
    if (!(await index.load())) await index.rebuild();
    return index;
  }

  readonly dir: string;
  private readonly runs = new Map<string, RunMeta>();
  private readonly dirty = new Set<string>();
  private readonly classify: Classify;
  private readonly coalesceMs: number;
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> = Promise.resolve();
  private indexDirty = false;

  private constructor(dir: string, opts: RunIndexOptions) {
    this.dir = dir;
    this.classify = opts.classify ?? defaultClassify;
    this.coalesceMs = opts.coalesceMs ?? 250;
  }

  /** DIR/runs/<id>. */
  runDir(id: string): string {
    return path.join(this.dir, 'runs', assertRunId(id));
  }
  /** DIR/runs/<id>/log.lwlog: the trainer's records and server events. */
  logPath(id: string): string {
    return path.join(this.runDir(id), 'log.lwlog');
  }
  /** DIR/runs/<id>/analysis.lwlog: analysis results. */
  analysisPath(id: string): string {
    return path.join(this.runDir(id), 'analysis.lwlog');
  }
  /** DIR/runs/<id>/meta.json. */
  metaPath(id: string): string {
    return path.join(this.runDir(id), 'meta.json');
  }

  /** Every run's meta, oldest first; reads no file. */
  list(): RunMeta[] {
    return [...this.runs.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  /** One run's meta, or undefined. */
  get(id: string): RunMeta | undefined {
    return this.runs.get(assertRunId(id));
  }

  /** Creates runs/<id>/ with its meta.json and adds it to the index; RUN_EXISTS if the id is taken. */
  async create(meta: RunMeta): Promise<RunMeta> {
    const id = assertRunId(meta.id);
    if (this.runs.has(id)) throw new StorageError('RUN_EXISTS', `A run with id "${id}" exists.`);
    try {
      await fs.mkdir(this.runDir(id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new StorageError('RUN_EXISTS', `A run directory for "${id}" exists.`);
      throw writeErrorFromFs(err, `Creating the directory of run "${id}"`);
    }
    const stored = { ...meta, id };
    this.runs.set(id, stored);
    this.dirty.add(id);
    this.indexDirty = true;
    await this.flush();
    return stored;
  }

  /** Merges `patch` into a run's meta now and writes it within coalesceMs (flush() to write at once). */
  update(id: string, patch: Partial<Omit<RunMeta, 'id'>>): RunMeta {
    const current = this.runs.get(assertRunId(id));
    if (!current) throw new StorageError('RUN_NOT_FOUND', `No run with id "${id}".`);
    const next: RunMeta = { ...current, ...patch, id: current.id };
    this.runs.set(id, next);
    this.dirty.add(id);
    this.indexDirty = true;
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flush().catch(() => {
          // The runs stay dirty: the next update or flush() writes them again and reports a lasting error.
        });
      }, this.coalesceMs);
      this.timer.unref();
    }
    return next;
  }

  /** Writes every pending meta.json and then index.json now; rejects with DISK_FULL / IO_ERROR (and keeps them pending). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const run = this.writing.then(() => this.writePending());
    this.writing = run.catch(() => {});
    return run;
  }

  /** Deletes a run's directory and its index entry. */
  async remove(id: string): Promise<void> {
    assertRunId(id);
    if (!this.runs.has(id)) throw new StorageError('RUN_NOT_FOUND', `No run with id "${id}".`);
    // Rename first: a crash mid-delete leaves a .trash- directory, never a half-deleted run.
    const trash = path.join(this.dir, `.trash-${id}-${process.pid}-${Date.now()}`);
    await fs.rename(this.runDir(id), trash).catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw writeErrorFromFs(err, `Removing run "${id}"`);
    });
    this.runs.delete(id);
    this.dirty.delete(id);
    this.indexDirty = true;
    await this.flush();
    await fs.rm(trash, { recursive: true, force: true });
  }

  /** Adds a run whose directory (with meta.json) is already in place, e.g. after an import's rename. */
  async adopt(meta: RunMeta): Promise<void> {
    const id = assertRunId(meta.id);
    this.runs.set(id, { ...meta });
    this.indexDirty = true;
    await this.flush();
  }

  /**
   * At server start: reconciles the index with runs/, then turns every 'live' run into
   * 'interrupted' after cutting its torn tail and recounting its counters from the log.
   */
  async recover(): Promise<RecoveredRun[]> {
    await this.cleanLeftovers();
    const onDisk = new Set((await fs.readdir(path.join(this.dir, 'runs'))).filter(isValidRunId));
    for (const id of [...this.runs.keys()]) if (!onDisk.has(id)) this.runs.delete(id);
    for (const id of onDisk) if (!this.runs.has(id)) this.runs.set(id, await this.readMeta(id));
    this.indexDirty = true;
    const recovered: RecoveredRun[] = [];
    for (const meta of this.runs.values()) {
      if (meta.status !== 'live') continue;
      // meta.json may be newer than index.json if the crash fell between their writes.
      const fresh = { ...meta, ...(await this.readMetaFile(meta.id)), status: 'live' as const };
      let scan = null;
      try {
        scan = await repairRunLog(this.logPath(meta.id));
      } catch (err) {
        if ((err as StorageError).code !== 'RUN_NOT_FOUND' && (err as StorageError).code !== 'NOT_A_LOG') throw err;
      }
      const c = scan ? await countRunLog(this.logPath(meta.id), this.classify, scan.validEnd) : null;
      this.runs.set(meta.id, {
        ...fresh,
        status: 'interrupted',
        endedAt: c?.lastTime ?? fresh.endedAt ?? Date.now(),
        checkpoints: c?.checkpoints ?? 0,
        lastStep: c?.lastStep ?? null,
        layers: c?.layers || fresh.layers,
        bytes: scan?.validEnd ?? 0,
        ...(c?.lastScalar ? { lastScalar: c.lastScalar } : {}),
        ...(c ? summaryFields(c) : {}),
      });
      this.dirty.add(meta.id);
      recovered.push({ id: meta.id, droppedBytes: scan?.tornBytes ?? 0, corruptRanges: scan?.corrupt.length ?? 0 });
    }
    await this.flush();
    return recovered;
  }

  private async writePending(): Promise<void> {
    if (!this.indexDirty && this.dirty.size === 0) return;
    const ids = [...this.dirty];
    this.dirty.clear();
    this.indexDirty = false;
    try {
      for (const id of ids) {
        const meta = this.runs.get(id);
        if (meta) await writeFileAtomic(this.metaPath(id), `${JSON.stringify(meta, null, 2)}\n`);
      }
      await writeFileAtomic(path.join(this.dir, 'index.json'), `${JSON.stringify({ version: INDEX_VERSION, runs: this.list() })}\n`);
    } catch (err) {
      for (const id of ids) if (this.runs.has(id)) this.dirty.add(id);
      this.indexDirty = true;
      throw err instanceof StorageError ? err : writeErrorFromFs(err, 'Writing the run index');
    }
  }

  private async load(): Promise<boolean> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(await fs.readFile(path.join(this.dir, 'index.json'), 'utf8'));
    } catch {
      return false;
    }
    const doc = parsed as { version?: unknown; runs?: unknown };
    if (doc?.version !== INDEX_VERSION || !Array.isArray(doc.runs) || !doc.runs.every(isRunMeta)) return false;
    for (const meta of doc.runs as RunMeta[]) this.runs.set(meta.id, meta);
    return true;
  }

  private async rebuild(): Promise<void> {
    this.runs.clear();
    const ids = (await fs.readdir(path.join(this.dir, 'runs'))).filter(isValidRunId);
    for (const id of ids) this.runs.set(id, await this.readMeta(id));
    this.indexDirty = true;
    // A read-only data directory (e.g. `layerwatch runs` on someone else's files) still lists.
    await this.flush().catch(() => {});
  }

  private async readMetaFile(id: string): Promise<RunMeta | null> {
    try {
      const meta: unknown = JSON.parse(await fs.readFile(this.metaPath(id), 'utf8'));
      if (isRunMeta(meta) && meta.id === id) return meta;
    } catch {
      // Missing or torn: the caller decides.
    }
    return null;
  }

  // A run's meta.json; a run dir without a readable one (crash during create) comes back 'live', so recover() recounts it.
  private async readMeta(id: string): Promise<RunMeta> {
    const meta = await this.readMetaFile(id);
    if (meta) return meta;
    const stat = await fs.stat(this.runDir(id));
    return { id, name: id, status: 'live', createdAt: stat.birthtimeMs || stat.mtimeMs, checkpoints: 0, lastStep: null, layers: 0, bytes: 0 };
  }

  private async cleanLeftovers(): Promise<void> {
    for (const name of await fs.readdir(this.dir)) {
      if (name.startsWith('.trash-') || name.startsWith('.import-') || isAtomicLeftover(name)) {
        await fs.rm(path.join(this.dir, name), { recursive: true, force: true });
      }
    }
    await syncDir(this.dir);
  }
}

/** Whether a parsed value has the shape of a RunMeta (used on index.json and meta.json). */
export function isRunMeta(v: unknown): v is RunMeta {
  if (typeof v !== 'object' || v === null) return false;
  const m = v as Record<string, unknown>;
  return (
    isValidRunId(m.id) &&
    typeof m.name === 'string' &&
    typeof m.status === 'string' &&
    STATUSES.has(m.status) &&
    typeof m.createdAt === 'number' &&
    typeof m.checkpoints === 'number' &&
    (m.lastStep === null || typeof m.lastStep === 'number') &&
    typeof m.layers === 'number' &&
    typeof m.bytes === 'number'
  );
}
