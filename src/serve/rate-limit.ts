import { durationMs } from '../config/duration.js';
import { UsageError } from '../errors.js';
import { tooManyRequests } from '../http/http-error.js';
import type { RateLimit } from './types.js';

const windowWords: Record<string, number> = {
  s: 1000, sec: 1000, second: 1000,
  m: 60_000, min: 60_000, minute: 60_000,
  h: 3_600_000, hour: 3_600_000,
  d: 86_400_000, day: 86_400_000,
};

/** `60/min`, `10/s`, `1000/hour`, `5/10s`: requests per window. */
export function parseRateLimit(value: string | RateLimit, name = 'rate limit'): RateLimit {
  const limit =
    typeof value === 'string'
      ? (() => {
          const match = /^\s*(\d+)\s*\/\s*(\S+)\s*$/.exec(value);
          const window = match ? (windowWords[match[2]!.toLowerCase()] ?? durationMs(match[2]!)) : undefined;
          return match && window !== undefined ? { requests: Number(match[1]), windowMs: window } : undefined;
        })()
      : value;
  if (!limit || !Number.isInteger(limit.requests) || limit.requests < 1 || !(limit.windowMs > 0)) {
    throw new UsageError(`The ${name} ${JSON.stringify(value)} is not <requests>/<window>.`, { hint: 'For example 60/min, 10/s, 1000/hour or 5/10s.' });
  }
  return limit;
}

interface Bucket {
  tokens: number;
  updatedAt: number;
}

/**
 * A token bucket per client: it holds up to `requests` tokens and refills at `requests` per window,
 * so a client may burst to the limit and then goes on at its average rate. A refused request costs
 * nothing, and learns how long until a token is back.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;
  private lastSweep = 0;

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = limit.requests / limit.windowMs;
  }

  /** Takes one token for the client, or throws 429 RATE_LIMIT_EXCEEDED with the seconds to wait. */
  take(client: string): void {
    const now = this.now();
    if (now - this.lastSweep >= this.limit.windowMs) this.sweep(now);
    const bucket = this.buckets.get(client) ?? { tokens: this.limit.requests, updatedAt: now };
    bucket.tokens = Math.min(this.limit.requests, bucket.tokens + (now - bucket.updatedAt) * this.perMs);
    bucket.updatedAt = now;
    this.buckets.set(client, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    const waitMs = (1 - bucket.tokens) / this.perMs;
    throw tooManyRequests(`Rate limit exceeded: at most ${this.limit.requests} invocations per ${this.limit.windowMs / 1000} s per client.`, waitMs / 1000);
  }

  /** How many clients the limiter holds a bucket for. */
  get clients(): number {
    return this.buckets.size;
  }

  /**
   * Drops the buckets untouched for a whole window: refilled to the limit, each is the same as no
   * bucket, and a server that met many clients (or many spoofed ones) would otherwise keep them all.
   */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [client, bucket] of this.buckets) if (now - bucket.updatedAt >= this.limit.windowMs) this.buckets.delete(client);
  }
}
