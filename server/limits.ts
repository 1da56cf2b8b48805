/** Server limits with their defaults (documented in docs/security.md and docs/protocol.md). */
import type { IngestLimits } from '../lib/protocol';

/** Limits a trainer sees in `welcome.limits`. */
export const DEFAULT_LIMITS: IngestLimits = {
  maxFrameBytes: 256 * 1024 * 1024,
  maxLayers: 256,
  maxUnits: 65_536,
  maxExamples: 100_000,
  maxRunBytes: 64 * 1024 ** 3,
  maxMessagesPerSecond: 5_000,
};

/** Limits that bound the server's own memory and work per connection (not part of the wire protocol). */
export interface ConnectionLimits {
  /** Largest JSON text message on /ingest; a bigger one is FRAME_TOO_LARGE (JSON costs several times its size to parse). */
  maxTextBytes: number;
  /** Activation bytes one checkpoint may announce (they are held in memory until its last frame arrives). */
  maxCheckpointBytes: number;
  /** Concurrent /ingest connections; more are refused with HTTP 503 before the upgrade. */
  maxIngestConnections: number;
  /** Concurrent /live connections; more are refused with HTTP 503 before the upgrade. */
  maxLiveConnections: number;
  /** Topics one /live connection may subscribe to at once. */
  maxLiveSubscriptions: number;
  /** Messages per second per /live connection. */
  maxLiveRate: number;
  /** Requests a /live connection may have in flight at once. */
  maxLiveInFlight: number;
  /** Largest message a browser may send on /live. */
  maxLiveMessageBytes: number;
  /** Bytes queued to an /ingest peer that does not read its replies before it is disconnected. */
  maxSendBufferBytes: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxTextBytes: 16 * 1024 * 1024,
  maxCheckpointBytes: 1024 * 1024 * 1024,
  maxIngestConnections: 64,
  maxLiveConnections: 256,
  maxLiveSubscriptions: 64,
  maxLiveRate: 100,
  maxLiveInFlight: 16,
  maxLiveMessageBytes: 64 * 1024,
  maxSendBufferBytes: 64 * 1024 * 1024,
};

/** A token bucket: `rate` messages per second with a burst of one second's worth. */
export class RateLimiter {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  /** True if one more message is allowed now. */
  take(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
