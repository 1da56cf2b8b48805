/** Server limits with their defaults (documented in docs/security.md and docs/protocol.md). */
import type { IngestLimits } from '../../lib/protocol';

/** Limits a trainer sees in `welcome.limits`. */
export const DEFAULT_LIMITS: IngestLimits = {
  maxFrameBytes: 256 * 1024 * 1024,
  maxLayers: 256,
  maxUnits: 65_536,
  maxExamples: 100_000,
  maxClasses: 1_000,
  maxConcepts: 2_048,
  maxRunBytes: 64 * 1024 ** 3,
  maxMessagesPerSecond: 5_000,
};

/** Limits that bound the server's own memory and work per connection (not part of the wire protocol). */
export interface ConnectionLimits {
  /** Largest JSON text message on /ingest; a bigger one is FRAME_TOO_LARGE (JSON costs several times its size to parse). */
  maxTextBytes: number;
  /** Activation bytes one checkpoint may announce (they are held in memory until its last frame arrives). */
  maxCheckpointBytes: number;
  /** Activation bytes of open checkpoints over all /ingest connections (announced, held until stored or discarded). */
  maxInflightBytes: number;
  /** Concurrent trainers: /ingest connections past an accepted hello (idle or unauthenticated sockets do not count). */
  maxIngestConnections: number;
  /** Concurrent viewers: /live connections past their first valid message. */
  maxLiveConnections: number;
  /** Open TCP connections of the whole server (Node's server.maxConnections); more are closed at once. */
  maxConnections: number;
  /** Milliseconds a websocket may stay open without its hello (/ingest) or first valid message (/live). */
  handshakeTimeoutMs: number;
  /** Milliseconds a client may take to send an HTTP request's headers (against slowloris). */
  headersTimeoutMs: number;
  /** Milliseconds a client may take to send a whole HTTP request (an import upload included). */
  requestTimeoutMs: number;
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
  maxInflightBytes: 2 * 1024 * 1024 * 1024,
  maxIngestConnections: 64,
  maxLiveConnections: 256,
  maxConnections: 1024,
  handshakeTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 300_000,
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

/** A count with a ceiling, shared by connections: trainer and viewer slots, and checkpoint bytes held server-wide. */
export class Budget {
  private used = 0;

  constructor(readonly max: number) {}

  /** Takes `n` if that stays within the ceiling; false (and nothing taken) otherwise. */
  take(n = 1): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  /** Gives back `n` taken before. */
  give(n = 1): void {
    this.used = Math.max(0, this.used - n);
  }

  get inUse(): number {
    return this.used;
  }
}
