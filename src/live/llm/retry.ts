import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts after the first. */
  retries: number;
  /** The first backoff; each retry doubles it, up to maxDelayMs, with jitter. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { retries: 2, baseDelayMs: 500, maxDelayMs: 8_000 };

/** Thrown by an attempt that may be tried again; `retryAfterMs` is what the server asked for. */
export class RetryableFailure extends Error {
  constructor(
    readonly failure: Error,
    readonly retryAfterMs: number | undefined,
  ) {
    super(failure.message);
  }
}

/** `retry-after` in seconds or as an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (!text) return undefined;
  const seconds = Number(text);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Full jitter on an exponential backoff: spreads retries of many clients hit by the same outage. */
function backoff(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/**
 * Runs `attempt` until it succeeds, throws something not retryable, or the retries run out (then
 * the last failure is thrown). A server's retry-after wins over the backoff, up to a minute.
 */
export async function withRetries<T>(policy: RetryPolicy, signal: AbortSignal, attempt: (retry: number) => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt(retry);
    } catch (error) {
      if (!(error instanceof RetryableFailure)) throw error;
      if (retry >= policy.retries || signal.aborted) throw error.failure;
      const delay = Math.min(60_000, error.retryAfterMs ?? backoff(policy, retry));
      await sleep(delay, undefined, { signal });
    }
  }
}
