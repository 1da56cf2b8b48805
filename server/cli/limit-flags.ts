/**
 * The limit flags, one table: `serve` takes them all (each also read from LAYERWATCH_<FLAG>); `import`, `replay` and
 * `export` take the subset that bounds a stored log's contents, since a log is held to the limits of the server that
 * reads it.
 */
import type { IngestLimits } from '../../lib/protocol';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from '../http/limits';
import { DEFAULT_LOG_LIMITS, type LogCheckLimits } from '../runs/log-content-check';
import { numberFlag, UsageError, type FlagSpec, type ParsedArgs } from './args';

/** Limits a trainer sees in welcome.limits: flag → limit key. */
export const INGEST_LIMIT_FLAGS = {
  'max-frame': 'maxFrameBytes',
  'max-layers': 'maxLayers',
  'max-units': 'maxUnits',
  'max-examples': 'maxExamples',
  'max-classes': 'maxClasses',
  'max-concepts': 'maxConcepts',
  'max-run-bytes': 'maxRunBytes',
  'max-rate': 'maxMessagesPerSecond',
} as const satisfies Record<string, keyof IngestLimits>;

/** Limits on the server's own memory, connections and time: flag → limit key. */
export const CONNECTION_LIMIT_FLAGS = {
  'max-text-bytes': 'maxTextBytes',
  'max-checkpoint-bytes': 'maxCheckpointBytes',
  'max-inflight-bytes': 'maxInflightBytes',
  'max-ingest-connections': 'maxIngestConnections',
  'max-live-connections': 'maxLiveConnections',
  'max-connections': 'maxConnections',
  'handshake-timeout': 'handshakeTimeoutMs',
  'headers-timeout': 'headersTimeoutMs',
  'request-timeout': 'requestTimeoutMs',
  'max-live-subscriptions': 'maxLiveSubscriptions',
  'max-live-rate': 'maxLiveRate',
  'max-live-in-flight': 'maxLiveInFlight',
  'max-live-message-bytes': 'maxLiveMessageBytes',
  'max-send-buffer-bytes': 'maxSendBufferBytes',
} as const satisfies Record<string, keyof ConnectionLimits>;

const ALL_FLAGS = { ...INGEST_LIMIT_FLAGS, ...CONNECTION_LIMIT_FLAGS };
type LimitFlag = keyof typeof ALL_FLAGS;
const DEFAULTS: IngestLimits & ConnectionLimits = { ...DEFAULT_LIMITS, ...DEFAULT_CONNECTION_LIMITS };

/** The flags that bound a stored log's contents (`import`, `replay`, `export`): every ingest limit but the rate, and the message and checkpoint sizes. */
const LOG_FLAGS = [
  'max-frame',
  'max-layers',
  'max-units',
  'max-examples',
  'max-classes',
  'max-concepts',
  'max-run-bytes',
  'max-text-bytes',
  'max-checkpoint-bytes',
] as const satisfies readonly LimitFlag[];
export const LOG_LIMIT_FLAGS = Object.fromEntries(LOG_FLAGS.map((f) => [f, ALL_FLAGS[f]])) as {
  [F in (typeof LOG_FLAGS)[number]]: (typeof ALL_FLAGS)[F];
} satisfies Record<string, keyof LogCheckLimits>;

/** "--flag default" of each flag given, for a help text. */
function helpOf(flags: Record<string, keyof typeof DEFAULTS>): string[] {
  return Object.entries(flags).map(([flag, key]) => `--${flag} ${DEFAULTS[key]}`);
}

/** Every limit flag with its default, one per entry (serve's --help). */
export const LIMIT_HELP = helpOf(ALL_FLAGS);

/** "--max-frame 268435456 …" of the log limits, for a help text. */
export const LOG_LIMIT_HELP = helpOf(LOG_LIMIT_FLAGS).join(' ');

const specOf = (flags: Record<string, string>) => Object.fromEntries(Object.keys(flags).map((f) => [f, 'number'])) as FlagSpec;

/** The flag spec of every limit flag (all numbers). */
export const LIMIT_SPEC = specOf(ALL_FLAGS);

/** The flag spec of the log limit flags. */
export const LOG_LIMIT_SPEC = specOf(LOG_LIMIT_FLAGS);

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
