/** Stored analysis of a run (runs/<id>/analysis.lwlog): the patches exactly as broadcast, so a reload or replay recomputes nothing. */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { applyConvergencePatch, emptyGrid, type ConceptPatch, type ConvergenceGrid, type ConvergencePatch, type MetricName } from '../../lib/protocol';
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

/** Appends analysis records to a run's analysis log, opening it on first use. */
export class AnalysisWriter {
  private writer: Promise<RunLogWriter> | null = null;

  /** `after`: a previous writer of the same file still closing; this one opens the file only once it has. */
  constructor(
    private readonly file: string,
    private readonly after: Promise<unknown> = Promise.resolve(),
  ) {}

  append(record: AnalysisRecord): void {
    void this.appendPayload(JSON.stringify(record));
  }

  /** Appends a binary record; resolves with its offset in the log (null when it could not be written). */
  appendBinary(payload: Uint8Array): Promise<number | null> {
    return this.appendPayload(payload);
  }

  private appendPayload(payload: string | Uint8Array): Promise<number | null> {
    this.writer ??= this.after.catch(() => {}).then(() => RunLogWriter.open(this.file));
    return this.writer.then((w) => w.append(RECORD_KIND.analysis, payload)).catch(() => null);
  }

  /** Resolves once everything appended so far is written. */
  async flush(): Promise<void> {
    const w = await this.writer?.catch(() => null);
    await w?.flush().catch(() => {});
  }

  async close(): Promise<void> {
    if (!this.writer) return;
    const w = await this.writer.catch(() => null);
    this.writer = null;
    await w?.sync().catch(() => {});
    await w?.close().catch(() => {});
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
