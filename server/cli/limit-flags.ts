/** Limit flags (`serve`'s, and the subset `import` and `replay` take: a log is held to the limits of the server that reads it). */
import type { IngestLimits } from '../../lib/protocol';
import type { ConnectionLimits } from '../limits';
import { DEFAULT_LOG_LIMITS, type LogCheckLimits } from '../log-content-check';
import { numberFlag, UsageError, type FlagSpec, type ParsedArgs } from './args';

/** The flags that bound a stored log's contents (`import`, `replay`). */
export const LOG_LIMIT_FLAGS = {
  'max-frame': 'maxFrameBytes',
  'max-layers': 'maxLayers',
  'max-units': 'maxUnits',
  'max-examples': 'maxExamples',
  'max-run-bytes': 'maxRunBytes',
  'max-text-bytes': 'maxTextBytes',
  'max-checkpoint-bytes': 'maxCheckpointBytes',
} as const satisfies Record<string, keyof LogCheckLimits>;

/** "--max-frame 268435456 …" of the log limits, for a help text. */
export const LOG_LIMIT_HELP = Object.entries(LOG_LIMIT_FLAGS).map(([flag, key]) => `--${flag} ${DEFAULT_LOG_LIMITS[key]}`).join(' ');

/** The flag spec of the log limit flags (all numbers). */
export const LOG_LIMIT_SPEC = Object.fromEntries(Object.keys(LOG_LIMIT_FLAGS).map((f) => [f, 'number'])) as FlagSpec;

/** The log limits given by flag or LAYERWATCH_MAX_* environment, over the defaults. */
export function logLimits(args: ParsedArgs): LogCheckLimits {
  return { ...DEFAULT_LOG_LIMITS, ...limitFlags(args, LOG_LIMIT_FLAGS) };
}

/** The same limits as `startServer` options (a replay's server reads the log under them too). */
export function serverLimits(l: LogCheckLimits): { limits: Partial<IngestLimits>; connectionLimits: Partial<ConnectionLimits> } {
  const { maxTextBytes, maxCheckpointBytes, ...ingest } = l;
  return { limits: ingest, connectionLimits: { maxTextBytes, maxCheckpointBytes } };
}

const envName = (flag: string) => `LAYERWATCH_${flag.replace(/-/g, '_').toUpperCase()}`;

/** The limits given by flag or environment (positive integers); absent ones are left out. */
export function limitFlags<K extends string>(args: ParsedArgs, flags: Record<string, K>): Partial<Record<K, number>> {
  const out: Partial<Record<K, number>> = {};
  for (const [flag, key] of Object.entries(flags)) {
    const v = numberFlag(args, flag, envName(flag));
    if (v === undefined) continue;
    if (!Number.isSafeInteger(v) || v < 1) throw new UsageError(`--${flag} must be a positive integer`);
    out[key] = v;
  }
  return out;
}
