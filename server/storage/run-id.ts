/**
 * Run ids are the only user-chosen strings that become paths, so every storage
 * function checks them here: 1–64 of a-z 0-9 _ -, starting with a letter or digit,
 * and never a name Windows reserves for a device.
 */
import { StorageError } from './storage-error';

/** The shape of a run id. */
export const RUN_ID_PATTERN = /^[a-z0-9][a-z0-9_-]{0,63}$/;

// Windows opens a device, not a file, for these names (the pattern already forbids extensions).
const WINDOWS_DEVICES = new Set(['con', 'prn', 'aux', 'nul', 'conin', 'conout', 'clock']);
const WINDOWS_NUMBERED = /^(com|lpt)[0-9]$/;

/** Whether `id` is a safe run id (a string matching RUN_ID_PATTERN that is not a device name). */
export function isValidRunId(id: unknown): boolean {
  return typeof id === 'string' && RUN_ID_PATTERN.test(id) && !WINDOWS_DEVICES.has(id) && !WINDOWS_NUMBERED.test(id);
}

/** Returns `id` when it is a safe run id; throws StorageError BAD_RUN_ID otherwise. */
export function assertRunId(id: unknown): string {
  if (isValidRunId(id)) return id as string;
  const shown = typeof id === 'string' ? JSON.stringify(id.slice(0, 80)) : typeof id;
  throw new StorageError('BAD_RUN_ID', `Invalid run id ${shown}: use 1-64 characters of a-z, 0-9, "-" and "_", starting with a letter or digit.`);
}

/** A run id derived from free text (a name or file name), or null when nothing usable remains. */
export function slugifyRunId(text: string): string | null {
  const slug = text
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+|-+$/g, '')
    .slice(0, 64)
    .replace(/-+$/, '');
  if (!slug) return null;
  return isValidRunId(slug) ? slug : `run-${slug}`.slice(0, 64);
}
