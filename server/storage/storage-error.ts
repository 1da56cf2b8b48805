/** Errors of the storage layer: every one carries a stable code, listed in docs/storage.md. */

/** The stable codes a StorageError can carry. */
export type StorageErrorCode =
  | 'BAD_RUN_ID'
  | 'RUN_EXISTS'
  | 'RUN_NOT_FOUND'
  | 'NOT_A_LOG'
  | 'LOG_VERSION'
  | 'LOG_CORRUPT'
  | 'LOG_TRUNCATED'
  | 'LOG_INVALID'
  | 'BAD_RECORD'
  | 'BAD_OFFSET'
  | 'BAD_ANALYSIS'
  | 'DISK_FULL'
  | 'IO_ERROR'
  | 'CLOSED';

/** A storage failure with a stable `code`; `cause` keeps the underlying fs error when there is one. */
export class StorageError extends Error {
  readonly code: StorageErrorCode;
  /** Extra facts for the caller (offsets, byte counts), when the code has any. */
  readonly details: Readonly<Record<string, unknown>>;
  constructor(code: StorageErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'StorageError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Maps an fs error from a write to DISK_FULL (no space, quota) or IO_ERROR (anything else). */
export function writeErrorFromFs(err: unknown, what: string): StorageError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const full = code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG';
  return new StorageError(full ? 'DISK_FULL' : 'IO_ERROR', `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
}
