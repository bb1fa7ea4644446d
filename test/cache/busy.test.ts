/**
 * Waiting for another process that holds the cache file locked (a real process, a real lock):
 * a wait longer than the busy timeout fails with CACHE_BUSY, naming the file, after about that
 * timeout; a wait never blocks the thread (timers keep firing); and a lock released within the
 * timeout lets the waiting reads and writes through.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSharedStores } from '../../src/cache/open.js';
import { SqliteStore } from '../../src/cache/sqlite/store.js';
import type { CacheRow } from '../../src/cache/types.js';
import { invoke, isRehearseError } from '../../src/index.js';
import { writeRows } from '../support/cache-seed.js';
import { tempDir } from '../support/temp.js';
import { echoOutput, echoParams, echoRow, type EchoCall } from './fixtures/crash-shared.js';
import { echoBot } from './fixtures/echo-bot.js';
import { linesOf, WorkerProcess } from './fixtures/worker-process.js';

const holders: WorkerProcess[] = [];
afterEach(async () => {
  await closeSharedStores();
  // A holder ends when its stdin does; one that does not is killed.
  for (const holder of holders.splice(0)) {
    holder.child.stdin?.end();
    const ended = await Promise.race([holder.exited, new Promise<undefined>((resolve) => setTimeout(resolve, 5_000, undefined))]);
    if (ended === undefined) await holder.kill();
  }
});

const botKey = 'busy-bot';
const seededCall: EchoCall = { series: 'seeded', n: 0 };
const seededRow = () => echoRow('default', botKey, seededCall);
const newRow = (n: number): CacheRow => echoRow('default', botKey, { series: 'new', n });

/** A cache file holding one recording of the bot. */
function seededCache() {
  const dir = tempDir();
  const cachePath = join(dir, 'cache.sqlite');
  writeRows(cachePath, [seededRow()]);
  return { dir, cachePath };
}

/** Another process that begins a write on the file and holds it (see fixtures/lock-holder.ts); resolves to it and the key it wrote. */
async function holdLock(cachePath: string, lock: 'exclusive' | 'reserved', releaseAfterMs?: number) {
  const holder = new WorkerProcess('lock-holder.ts', [cachePath, lock, ...(releaseAfterMs === undefined ? [] : [String(releaseAfterMs)])]);
  holders.push(holder);
  await holder.waitFor((text) => text.startsWith('ready '), 30_000, 'the lock holder got ready');
  return { holder, heldKey: linesOf<{ key: string }>(holder, 'ready')[0]!.key };
}

interface Waited<T> {
  value: T | undefined;
  error: unknown;
  elapsedMs: number;
  /** How many times a 5 ms interval fired during the wait, and the longest gap between two firings. */
  ticks: number;
  longestGapMs: number;
}

/** Runs `operation`, timing it, with a 5 ms interval ticking in this thread meanwhile. */
async function waited<T>(operation: () => Promise<T>): Promise<Waited<T>> {
  let ticks = 0;
  let last = performance.now();
  let longestGapMs = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    longestGapMs = Math.max(longestGapMs, now - last);
    last = now;
    ticks++;
  }, 5);
  const started = performance.now();
  let value: T | undefined;
  let error: unknown;
  try {
    value = await operation();
  } catch (caught) {
    error = caught;
  }
  const elapsedMs = performance.now() - started;
  clearInterval(interval);
  longestGapMs = Math.max(longestGapMs, performance.now() - last);
  return { value, error, elapsedMs, ticks, longestGapMs };
}

/** What a wait that should end in CACHE_BUSY came to, in terms the assertion prints whole. */
function busyOutcome(operation: string, result: Waited<unknown>, cachePath: string, timeoutMs: number) {
  const error = result.error as { code?: unknown; message?: unknown } | undefined;
  const message = typeof error?.message === 'string' ? error.message : '';
  return {
    operation,
    // A RehearseError (or, from invoke(), the ErrorInfo of one) with CACHE_BUSY: never CACHE_FILE_INVALID.
    code: error?.code,
    rehearseError: result.error instanceof Error ? isRehearseError(result.error) : typeof error?.code === 'string',
    namesTheFile: message.includes(cachePath),
    saysItWaited: /is busy: .* waited \d+ ms/.test(message),
    // About the timeout: not before it, and not seconds after (a loaded machine is slow, not that slow).
    waitedAboutTheTimeout: result.elapsedMs >= timeoutMs - 5 && result.elapsedMs < timeoutMs + 1_500,
    elapsedMs: Math.round(result.elapsedMs),
  };
}

function expectedBusy(operation: string) {
  return { operation, code: 'CACHE_BUSY', rehearseError: true, namesTheFile: true, saysItWaited: true, waitedAboutTheTimeout: true, elapsedMs: expect.any(Number) as unknown };
}

describe('a cache file another process holds locked past the busy timeout', () => {
  it('fails a read and a write with CACHE_BUSY, naming the file, after about busyTimeoutMs', async () => {
    const timeoutMs = 300;
    const { cachePath } = seededCache();
    // One store connected before the lock is taken, and stores that first open the file while it is held.
    const connected = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    await connected.check();
    expect((await connected.find('default', seededRow().key))?.output).toBe(seededRow().output);
    const freshReader = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    const freshWriter = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    try {
      const { holder, heldKey } = await holdLock(cachePath, 'exclusive');
      const outcomes = [
        busyOutcome('read on an open connection', await waited(() => connected.find('default', seededRow().key)), cachePath, timeoutMs),
        busyOutcome('write on an open connection', await waited(() => connected.record(newRow(1))), cachePath, timeoutMs),
        busyOutcome('read that opens the file', await waited(() => freshReader.find('default', seededRow().key)), cachePath, timeoutMs),
        busyOutcome('write that opens the file', await waited(() => freshWriter.record(newRow(2))), cachePath, timeoutMs),
      ];
      expect(outcomes).toEqual(outcomes.map(({ operation }) => expectedBusy(operation)));

      // Nothing is wrong with the file or the stores: once the lock is released, all of them work.
      holder.send('commit');
      await holder.waitFor((text) => text === 'committed', 10_000, 'the lock holder committed');
      expect((await connected.find('default', heldKey))?.status).toBe('success');
      expect(await freshReader.count({ org: 'default' })).toBe(2);
      expect(await connected.record(newRow(1))).toMatchObject({ inserted: true });
      expect(await freshWriter.record(newRow(2))).toMatchObject({ inserted: true });
      expect(await freshReader.count({ org: 'default' })).toBe(4);
      expect(await connected.integrity(10)).toEqual(['ok']);
    } finally {
      await Promise.all([connected.close(), freshReader.close(), freshWriter.close()]);
    }
  }, 90_000);

  it('fails invoke() with CACHE_BUSY after REHEARSE_CACHE_BUSY_TIMEOUT: a replay of a file held exclusively, a recording into a file whose write lock is held', async () => {
    const timeoutMs = 300;
    const bot = echoBot(botKey);
    const optionsFor = (dir: string, cachePath: string) => ({
      mode: 'replay' as const,
      cachePath,
      cwd: dir,
      env: { REHEARSE_CACHE_BUSY_TIMEOUT: String(timeoutMs), REHEARSE_STATE: join(dir, 'state.sqlite') },
    });

    const held = seededCache();
    await holdLock(held.cachePath, 'exclusive');
    const replay = await waited(() => invoke(bot, { ...optionsFor(held.dir, held.cachePath), strict: true, parameters: { calls: [seededCall] } }));
    expect(replay.error).toBeUndefined();
    expect(replay.value?.status).toBe('failed');

    // A write lock (BEGIN IMMEDIATE) leaves reading free: a replay hits, a recording waits and gives up.
    const writing = seededCache();
    const { holder } = await holdLock(writing.cachePath, 'reserved');
    const options = optionsFor(writing.dir, writing.cachePath);
    const hit = await invoke(bot, { ...options, strict: true, parameters: { calls: [seededCall] } });
    expect(hit.error).toBeUndefined();
    expect(hit.cache).toMatchObject({ hits: 1, misses: 0 });
    const missing: EchoCall = { series: 'missing', n: 0 };
    const record = await waited(() => invoke(bot, { ...options, parameters: { calls: [missing] } }));
    expect(record.error).toBeUndefined();
    expect(record.value?.status).toBe('failed');

    const asWaited = (result: typeof replay): Waited<unknown> => ({ ...result, error: result.value?.error });
    expect([
      busyOutcome('strict replay', asWaited(replay), held.cachePath, timeoutMs),
      busyOutcome('recording', asWaited(record), writing.cachePath, timeoutMs),
    ]).toEqual([expectedBusy('strict replay'), expectedBusy('recording')]);

    // Released, the same recording goes through.
    holder.send('commit');
    await holder.waitFor((text) => text === 'committed', 10_000, 'the lock holder committed');
    const recorded = await invoke(bot, { ...options, parameters: { calls: [missing] } });
    expect(recorded.error).toBeUndefined();
    expect(recorded.cache).toMatchObject({ recorded: 1 });
  }, 90_000);

  it('does not block the thread while it waits: a 5 ms interval keeps ticking through the whole wait', async () => {
    const timeoutMs = 300;
    const { cachePath } = seededCache();
    const connected = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    await connected.check();
    const fresh = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    try {
      await holdLock(cachePath, 'exclusive');
      const result = await waited(() =>
        Promise.allSettled([connected.find('default', seededRow().key), connected.record(newRow(1)), fresh.find('default', seededRow().key), fresh.count({ org: 'default' })]),
      );
      expect(result.value?.map((settled) => (settled.status === 'rejected' ? (settled.reason as { code?: unknown }).code : 'fulfilled'))).toEqual([
        'CACHE_BUSY',
        'CACHE_BUSY',
        'CACHE_BUSY',
        'CACHE_BUSY',
      ]);
      // 300 ms of waiting is 60 ticks of 5 ms; a thread asleep in SQLite would show a few ticks and one gap of the whole wait.
      const observed = { ticks: result.ticks, longestGapMs: Math.round(result.longestGapMs), elapsedMs: Math.round(result.elapsedMs) };
      expect({
        ...observed,
        atLeast20Ticks: observed.ticks >= 20,
        noGapOf180Ms: observed.longestGapMs < 180,
        waitedAboutTheTimeout: observed.elapsedMs >= timeoutMs - 5 && observed.elapsedMs < timeoutMs + 1_500,
      }).toEqual({ ...observed, atLeast20Ticks: true, noGapOf180Ms: true, waitedAboutTheTimeout: true });
    } finally {
      await Promise.all([connected.close(), fresh.close()]);
    }
  }, 90_000);
});

describe('a cache file another process releases within the busy timeout', () => {
  it('lets the waiting reads and write through once the holder commits', async () => {
    const timeoutMs = 5_000;
    const { cachePath } = seededCache();
    const connected = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    await connected.check();
    const fresh = new SqliteStore(cachePath, { busyTimeoutMs: timeoutMs });
    try {
      // The holder commits by its own timer, 200 ms after it took the lock.
      const { holder, heldKey } = await holdLock(cachePath, 'exclusive', 200);
      const result = await waited(() =>
        Promise.all([connected.find('default', heldKey), fresh.find('default', heldKey), connected.record(newRow(1)), fresh.count({ org: 'default' })]),
      );
      expect(result.error).toBeUndefined();
      const [connectedRead, freshRead, write, count] = result.value!;
      // The reads found the entry the holder committed: they waited for the commit, not around it.
      expect(connectedRead?.status).toBe('success');
      expect(connectedRead?.output).toBe(echoRow('default', 'lock-holder-bot', { series: 'held', n: 0 }).output);
      expect(freshRead?.output).toBe(connectedRead?.output);
      expect(write.inserted).toBe(true);
      expect(count).toBeGreaterThanOrEqual(2);
      expect(result.elapsedMs).toBeLessThan(timeoutMs);
      await holder.waitFor((text) => text === 'committed', 10_000, 'the lock holder committed');
      expect(await fresh.count({ org: 'default' })).toBe(3);
    } finally {
      await Promise.all([connected.close(), fresh.close()]);
    }
  }, 60_000);

  it('lets a waiting invoke() replay and recording through once the holder commits', async () => {
    const { dir, cachePath } = seededCache();
    const { holder } = await holdLock(cachePath, 'exclusive', 200);
    const missing: EchoCall = { series: 'missing', n: 0 };
    const result = await waited(() =>
      invoke(echoBot(botKey), {
        mode: 'replay',
        cachePath,
        cwd: dir,
        env: { REHEARSE_CACHE_BUSY_TIMEOUT: '5000', REHEARSE_STATE: join(dir, 'state.sqlite') },
        parameters: { calls: [seededCall, missing] },
      }),
    );
    expect(result.error).toBeUndefined();
    expect(result.value?.error).toBeUndefined();
    expect(result.value?.cache).toMatchObject({ hits: 1, misses: 1, recorded: 1 });
    expect(result.value?.result.output).toEqual([seededCall, missing].map((call) => echoOutput(echoParams(call.series, call.n))));
    expect(result.elapsedMs).toBeLessThan(5_000);
    await holder.waitFor((text) => text === 'committed', 10_000, 'the lock holder committed');
  }, 60_000);
});
