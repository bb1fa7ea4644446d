import type { Claim, RecordingStore, StoredOutcome } from './types.js';

export interface FlightOptions {
  /** How long a claim holds without being renewed; it is renewed every third of it while the call runs. */
  leaseMs: number;
  /** Ends the wait (the invocation timed out or was cancelled). */
  signal: AbortSignal;
}

/** What the recorder's own work returns: what the store holds now, and whatever else it wants back. */
export interface Recorded<T> {
  stored: StoredOutcome;
  value: T;
}

export type FlightResult<T> = { recorded: true; stored: StoredOutcome; value: T } | { recorded: false; stored: StoredOutcome };

export const defaultLeaseMs = 30_000;

/** Recordings under way in this process, per store: `org \0 key` -> what they will store. */
const inProcess = new WeakMap<RecordingStore, Map<string, Promise<StoredOutcome>>>();

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const done = () => (signal.removeEventListener('abort', aborted), resolve());
    const timer = setTimeout(done, ms);
    const aborted = () => (clearTimeout(timer), reject(signal.reason));
    signal.addEventListener('abort', aborted, { once: true });
  });
}

/**
 * One live call per missing key. The first caller to miss `key` claims it and runs `record` (the
 * live call and its write, which releases the claim); every other caller, in this process or in
 * another one on the same store, waits and gets what was recorded. A recorder whose call fails gives
 * its claim up and the next waiter tries; one that dies stops renewing its claim (and, on this host,
 * is seen to be gone at once), so the others go on.
 */
export async function recordOnce<T>(
  store: RecordingStore,
  org: string,
  key: string,
  record: (claim: Claim) => Promise<Recorded<T>>,
  options: FlightOptions,
): Promise<FlightResult<T>> {
  let flights = inProcess.get(store);
  if (!flights) inProcess.set(store, (flights = new Map()));
  const id = `${org}\u0000${key}`;
  for (let failed: Promise<StoredOutcome> | undefined; ; ) {
    const running = flights.get(id);
    if (!running || running === failed) break;
    try {
      return { recorded: false, stored: await running };
    } catch {
      failed = running; // its live call failed: this caller tries (and reports its own error, if any)
    }
  }
  const flight = claimAndRecord(store, org, key, record, options);
  const stored = flight.then((result) => result.stored);
  stored.catch(() => undefined);
  flights.set(id, stored);
  try {
    return await flight;
  } finally {
    if (flights.get(id) === stored) flights.delete(id);
  }
}

async function claimAndRecord<T>(
  store: RecordingStore,
  org: string,
  key: string,
  record: (claim: Claim) => Promise<Recorded<T>>,
  { leaseMs, signal }: FlightOptions,
): Promise<FlightResult<T>> {
  for (let poll = 10; ; poll = Math.min(250, poll * 1.5)) {
    const attempt = await store.claim(org, key, leaseMs);
    if (attempt.claimed) {
      const { claim } = attempt;
      // Another recorder may have finished between this caller's miss and its claim.
      const already = await store.find(org, key);
      if (already) {
        await store.release(claim);
        return { recorded: false, stored: already };
      }
      const heartbeat = setInterval(() => void store.renew(claim, leaseMs).catch(() => undefined), leaseMs / 3);
      heartbeat.unref();
      try {
        const { stored, value } = await record(claim);
        return { recorded: true, stored, value };
      } catch (error) {
        await store.release(claim).catch(() => undefined);
        throw error;
      } finally {
        clearInterval(heartbeat);
      }
    }
    await abortable(poll, signal);
    const recorded = await store.find(org, key);
    if (recorded) return { recorded: false, stored: recorded };
  }
}
