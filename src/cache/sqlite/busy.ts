import Database from 'better-sqlite3';
import { CacheBusyError } from '../../errors.js';

/**
 * How long an operation waits for other processes before it fails with CACHE_BUSY. Generous: a
 * writer commits in milliseconds, but an import or an integrity check of a large file holds the
 * file for longer, and a failed call costs the user more than a slow one.
 */
export const defaultBusyTimeoutMs = 30_000;

/** The wait REHEARSE_CACHE_BUSY_TIMEOUT asks for, else the default. */
export function busyTimeoutFrom(env: Readonly<Record<string, string | undefined>>): number {
  const given = Number(env.REHEARSE_CACHE_BUSY_TIMEOUT);
  return Number.isFinite(given) && given > 0 ? given : defaultBusyTimeoutMs;
}

/** Whether SQLite refused because another connection holds a lock (not because anything is wrong). */
export function isBusy(error: unknown): boolean {
  return error instanceof Database.SqliteError && (error.code.startsWith('SQLITE_BUSY') || error.code.startsWith('SQLITE_LOCKED'));
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it does not fail as busy. SQLite's own busy handler would wait by sleeping
 * in this thread, stalling every request of a server; so connections keep busy_timeout at 0 and
 * the wait is a timer: 1 ms, doubling to 8 ms, with jitter so waiting processes do not retry in
 * step. A commit holds the file for about a millisecond: waits of up to 50 ms gave the same
 * throughput with four recording processes, and a p99 per invocation 3 to 7 times longer.
 * Past `timeoutMs`, CACHE_BUSY.
 */
export async function retryWhileBusy<T>(attempt: () => T, location: string, operation: string, timeoutMs: number): Promise<T> {
  const started = performance.now();
  for (let delay = 1; ; delay = Math.min(8, delay * 2)) {
    try {
      return attempt();
    } catch (error) {
      if (!isBusy(error)) throw error;
      const waited = performance.now() - started;
      if (waited >= timeoutMs) throw new CacheBusyError(location, operation, waited, { cause: error });
      await sleep(Math.min(delay * (0.5 + Math.random()), timeoutMs - waited));
    }
  }
}
