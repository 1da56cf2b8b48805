/** The analysis's log lines: one per failure that stops a result, `analysis: CODE run <id> (what): message` (codes: docs/analysis.md). */

/** Stable codes of analysis failures. */
export type AnalysisLogCode =
  | 'RESTORE_FAILED'
  | 'ADVICE_NOT_SENT'
  | 'CHANCE_FAILED'
  | 'PAIRS_FAILED'
  | 'CONCEPTS_FAILED'
  | 'CONCEPTS_UNREADABLE'
  | 'ANALYSIS_WRITE_FAILED'
  | 'ANALYSIS_FLUSH_FAILED'
  | 'ANALYSIS_CLOSE_FAILED';

/** Logs one failure of a run's analysis; `what` names the work that failed (a layer, a checkpoint). */
export type AnalysisLog = (code: AnalysisLogCode, runId: string, err: unknown, what?: string) => void;

/** An AnalysisLog that writes each failure as one line. */
export function analysisLog(line: (text: string) => void): AnalysisLog {
  return (code, runId, err, what) => line(`analysis: ${code} run ${runId}${what ? ` (${what})` : ''}: ${messageOf(err)}`);
}

/** The message of a thrown value or a failed worker result. */
function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (err && typeof err === 'object' && 'message' in err) {
    const e = err as { code?: unknown; message: unknown };
    return typeof e.code === 'string' ? `${e.code}: ${String(e.message)}` : String(e.message);
  }
  return String(err);
}
