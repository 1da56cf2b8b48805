/** Importing a run log into the server's data directory: storage's all-or-nothing import plus the protocol-level check of the stored analysis it carries. */
import { checkStoredAnalysis } from './analysis/analysis-check';
import { importLog, type ImportOptions } from './storage/import';
import type { RunMeta } from './storage/run-index';

/** Imports a log (an export with its analysis, or a bare log) as a run; what the CLI and POST /api/import call. */
export function importRun(dir: string, file: string, opts: Omit<ImportOptions, 'checkAnalysis'> = {}): Promise<RunMeta> {
  return importLog(dir, file, { ...opts, checkAnalysis: checkStoredAnalysis });
}
