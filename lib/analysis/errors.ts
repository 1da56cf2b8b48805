/** Errors of the analysis core, each with a stable code. */

/** Stable codes of every error the analysis core throws. */
export type AnalysisErrorCode =
  | 'EMPTY_INPUT'
  | 'SHAPE_MISMATCH'
  | 'NON_FINITE'
  | 'TOO_FEW_EXAMPLES'
  | 'BAD_OPTION'
  | 'SLIMMED'
  | 'NEEDS_RAW'
  | 'BAD_SKETCH'
  | 'KERNEL_FAILED';

/** An input or option the metrics cannot work with; `code` is stable, `message` says what to fix. */
export class AnalysisError extends Error {
  readonly code: AnalysisErrorCode;

  constructor(code: AnalysisErrorCode, message: string) {
    super(message);
    this.name = 'AnalysisError';
    this.code = code;
  }
}
