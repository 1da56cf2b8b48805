/** Server limits with their defaults (documented in README "Configuration" and docs/protocol.md). */
import type { IngestLimits } from '../lib/protocol';

export const DEFAULT_LIMITS: IngestLimits = {
  maxFrameBytes: 256 * 1024 * 1024,
  maxLayers: 256,
  maxUnits: 65_536,
  maxExamples: 100_000,
  maxRunBytes: 64 * 1024 ** 3,
  maxMessagesPerSecond: 5_000,
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
