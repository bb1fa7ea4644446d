/** The rate limiter forgets clients it has not seen for a whole window: their buckets are full again, the same as none. */
import { describe, expect, it } from 'vitest';
import { RateLimiter } from '../../src/serve/rate-limit.js';

describe('the rate limiter over time', () => {
  it('keeps buckets only for clients seen within the last window, and still limits a client that keeps asking', () => {
    let now = 1_000_000;
    const limiter = new RateLimiter({ requests: 2, windowMs: 60_000 }, () => now);
    for (let client = 0; client < 10_000; client++) limiter.take(`client-${client}`);
    expect(limiter.clients).toBe(10_000);

    now += 60_000;
    limiter.take('busy');
    limiter.take('busy');
    expect(() => limiter.take('busy')).toThrow(/Rate limit exceeded/);
    expect(limiter.clients).toBe(1);

    // A client forgotten comes back with a full bucket, exactly as a new one would.
    now += 60_000;
    limiter.take('client-1');
    limiter.take('client-1');
    expect(() => limiter.take('client-1')).toThrow(/Rate limit exceeded/);
  });
});
