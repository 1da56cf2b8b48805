/** The limit flags of `serve` (each also read from LAYERWATCH_<FLAG>), shared with the offline commands that rebuild runs. */
import type { IngestLimits } from '../../lib/protocol';
import { DEFAULT_CONNECTION_LIMITS, DEFAULT_LIMITS, type ConnectionLimits } from '../limits';
import { numberFlag, UsageError, type ParsedArgs } from './args';

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

/** Every limit flag with its default, for --help. */
export const LIMIT_HELP = [
  ...Object.entries(INGEST_LIMIT_FLAGS).map(([flag, key]) => `--${flag} ${DEFAULT_LIMITS[key]}`),
  ...Object.entries(CONNECTION_LIMIT_FLAGS).map(([flag, key]) => `--${flag} ${DEFAULT_CONNECTION_LIMITS[key]}`),
];

/** Every limit flag name, for a command's flag spec. */
export const LIMIT_FLAG_NAMES = [...Object.keys(INGEST_LIMIT_FLAGS), ...Object.keys(CONNECTION_LIMIT_FLAGS)];

const envName = (flag: string) => `LAYERWATCH_${flag.replace(/-/g, '_').toUpperCase()}`;

/** The limits given by flags (or their environment variables); each must be a positive integer. */
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

/** The ingest limits a server started here would use (LAYERWATCH_MAX_* over the defaults): for commands without a server. */
export function ingestLimitsFromEnv(): IngestLimits {
  return { ...DEFAULT_LIMITS, ...limitFlags({ flags: {}, positional: [] }, INGEST_LIMIT_FLAGS) };
}
