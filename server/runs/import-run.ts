/**
 * Importing a run log into the server's data directory: storage's all-or-nothing import, with the protocol's rules on
 * every record (under the default limits unless the caller passes its own check) and the check of the stored analysis
 * an export carries.
 */
import { checkStoredAnalysis } from '../analysis/analysis-check';
import { DEFAULT_LOG_LIMITS, LogContentCheck } from './log-content-check';
import { importLog, importStream, type ImportOptions } from '../storage/import';
import type { RunMeta } from '../storage/run-index';

type RunImportOptions = Omit<ImportOptions, 'checkAnalysis' | 'check'> & Partial<Pick<ImportOptions, 'check'>>;

const withChecks = (opts: RunImportOptions): ImportOptions => ({
  ...opts,
  check: opts.check ?? new LogContentCheck(DEFAULT_LOG_LIMITS),
  checkAnalysis: checkStoredAnalysis,
});

/** Imports a log file (an export with its analysis, or a bare log) as a run; what the CLI calls. */
export function importRun(dir: string, file: string, opts: RunImportOptions = {}): Promise<RunMeta> {
  return importLog(dir, file, withChecks(opts));
}

/** Imports a log arriving as a stream (`name` hints the run id); what POST /api/import calls. */
export function importRunStream(dir: string, source: AsyncIterable<Uint8Array>, name: string, opts: RunImportOptions): Promise<RunMeta> {
  return importStream(dir, source, name, withChecks(opts));
}
