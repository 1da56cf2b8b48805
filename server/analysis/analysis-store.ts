/** Stored analysis of a run (runs/<id>/analysis.lwlog): the patches exactly as broadcast, so a reload or replay recomputes nothing. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyConvergencePatch, emptyGrid, type ConceptPatch, type ConvergenceGrid, type ConvergencePatch } from '../../lib/protocol';
import { RunLogWriter } from '../storage/run-log-writer';
import { readRunLog } from '../storage/run-log-reader';
import { RECORD_KIND } from '../runs/records';

/** One stored convergence record. */
export type ConvergenceRecord = { type: 'convergence'; reference: number | null; patch: ConvergencePatch };
/**
 * One stored analysis record (JSON): convergence, or concept statistics (server/analysis/concepts-store.ts reads those).
 * The log also holds binary records of per-unit concept values (concept-units.ts).
 */
export type AnalysisRecord = ConvergenceRecord | { type: 'concepts'; patch: ConceptPatch };

const TYPE_PREFIX = /^\{"type":"([a-z-]{1,32})"/;

/** The `type` of a JSON analysis record from its first bytes, without parsing the rest (records are written type first); null for binary records. */
export function recordType(payload: Uint8Array): string | null {
  if (payload[0] !== 0x7b) return null;
  return TYPE_PREFIX.exec(new TextDecoder().decode(payload.subarray(0, 48)))?.[1] ?? null;
}

export function analysisPath(runDir: string): string {
  return path.join(runDir, 'analysis.lwlog');
}

/** Failures of an analysis log's writer (analysis-log.ts), each reported once per writer: later appends fail the same way. */
export type WriterFailure = 'ANALYSIS_WRITE_FAILED' | 'ANALYSIS_FLUSH_FAILED' | 'ANALYSIS_CLOSE_FAILED';

/** Appends analysis records to a run's analysis log, opening it on first use. */
export class AnalysisWriter {
  private writer: Promise<RunLogWriter> | null = null;
  private readonly reported = new Set<WriterFailure>();

  /** `failed`: told of a write that failed (the analysis stays in memory and on screen, not on disk); `after`: a previous writer of the same file still closing, this one opens the file only once it has. */
  constructor(
    private readonly file: string,
    private readonly failed: (code: WriterFailure, err: unknown) => void,
    private readonly after: Promise<unknown> = Promise.resolve(),
  ) {}

  private fail(code: WriterFailure, err: unknown): void {
    if (this.reported.has(code)) return;
    this.reported.add(code);
    this.failed(code, err);
  }

  append(record: AnalysisRecord): void {
    void this.appendPayload(JSON.stringify(record));
  }

  /** Appends a binary record; resolves with its offset in the log (null when it could not be written). */
  appendBinary(payload: Uint8Array): Promise<number | null> {
    return this.appendPayload(payload);
  }

  private appendPayload(payload: string | Uint8Array): Promise<number | null> {
    // The previous writer reported its own failure; this one opens the file regardless.
    this.writer ??= this.after.catch(() => {}).then(() => RunLogWriter.open(this.file));
    return this.writer
      .then((w) => w.append(RECORD_KIND.analysis, payload))
      .catch((err: unknown) => {
        this.fail('ANALYSIS_WRITE_FAILED', err);
        return null;
      });
  }

  /** Resolves once everything appended so far is written. */
  async flush(): Promise<void> {
    // A log that could not be opened has nothing to flush (its appends reported that).
    const w = await this.writer?.catch(() => null);
    await w?.flush().catch((err: unknown) => this.fail('ANALYSIS_FLUSH_FAILED', err));
  }

  async close(): Promise<void> {
    if (!this.writer) return;
    const w = await this.writer.catch(() => null);
    this.writer = null;
    await w?.sync().catch((err: unknown) => this.fail('ANALYSIS_CLOSE_FAILED', err));
    await w?.close().catch((err: unknown) => this.fail('ANALYSIS_CLOSE_FAILED', err));
  }
}

/** Reads every stored convergence record of a run's analysis log, in order. */
export async function* readAnalysis(file: string): AsyncGenerator<ConvergenceRecord> {
  if (!existsSync(file)) return;
  const decoder = new TextDecoder();
  for await (const rec of readRunLog(file, { kinds: [RECORD_KIND.analysis] })) {
    // Concept records can be large (per-unit values): only convergence records are parsed here.
    if (recordType(rec.payload) !== 'convergence') continue;
    try {
      const parsed = JSON.parse(decoder.decode(rec.payload)) as ConvergenceRecord;
      if (parsed?.type === 'convergence') yield parsed;
    } catch {
      // A record this version cannot read is skipped; the rest still loads.
    }
  }
}

/** The convergence grids as stored, by key (the metric for live grids, metric|options for re-analyses). */
export async function loadConvergence(file: string, layers: string[]): Promise<Map<string, ConvergenceGrid>> {
  const grids = new Map<string, ConvergenceGrid>();
  for await (const rec of readAnalysis(file)) applyStored(grids, rec.patch, layers);
  return grids;
}

/** Applies one stored patch to the grid it belongs to, creating the grid on first use. */
export function applyStored(grids: Map<string, ConvergenceGrid>, patch: ConvergencePatch, layers: string[]): void {
  const key = patch.key ?? patch.metric;
  let grid = grids.get(key);
  if (!grid) grids.set(key, (grid = emptyGrid(patch.metric, layers)));
  applyConvergencePatch(grid, patch);
}
