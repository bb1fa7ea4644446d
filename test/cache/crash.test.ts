/**
 * Crashes of writers of the SQLite cache, with real processes killed by SIGKILL on a real file.
 *
 * 1. A writer killed in the middle of its transaction, after SQLite spilled uncommitted pages into
 *    the file: the journal it leaves is hot, and the first open of any kind (a strict replay, or
 *    a read-only command of the CLI) rolls it back to the last commit.
 * 2. Recorders killed at random instants, over and over, while other processes replay and prune
 *    the same file: no acknowledged entry is lost, and nobody else sees an error.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSharedStores } from '../../src/cache/open.js';
import { SqliteStore } from '../../src/cache/sqlite/store.js';
import type { CacheRow } from '../../src/cache/types.js';
import { invoke } from '../../src/index.js';
import { writeRows } from '../support/cache-seed.js';
import { rehearse } from '../support/cli.js';
import { tempDir } from '../support/temp.js';
import {
  echoOutput,
  echoParams,
  echoRow,
  pruneOrg,
  pruneRows,
  recorderBotKey,
  recorderCall,
  replayBotKey,
  replayCalls,
  type EchoCall,
} from './fixtures/crash-shared.js';
import { echoBot } from './fixtures/echo-bot.js';
import { linesOf, WorkerProcess } from './fixtures/worker-process.js';

/** Every worker a test starts; one still running when the test ends (it failed half-way) is killed. */
const workers: WorkerProcess[] = [];
function start(script: string, args: string[], onLine?: (line: string) => void): WorkerProcess {
  const worker = new WorkerProcess(script, args, onLine);
  workers.push(worker);
  return worker;
}

afterEach(async () => {
  await closeSharedStores();
  await Promise.all(workers.splice(0).map((worker) => worker.kill()));
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every row of the file, in a stable order, read without writing (the file must have no hot journal). */
function readRows(cachePath: string): CacheRow[] {
  const db = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    return db.prepare<[], CacheRow>('SELECT * FROM entries ORDER BY org, key').all();
  } finally {
    db.close();
  }
}

/** What a read-only SQLite connection says when it reads the file: 'ok', or the error code. */
function readOnlyRead(cachePath: string): string {
  const db = new Database(cachePath, { readonly: true, fileMustExist: true });
  try {
    db.prepare('SELECT count(*) FROM entries').get();
    return 'ok';
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  } finally {
    db.close();
  }
}

function isLine(word: string): (text: string) => boolean {
  return (text) => text === word || text.startsWith(`${word} `);
}

describe('a writer killed in the middle of its transaction', () => {
  const firstOpens = ['a strict replay', 'rehearse cache ls', 'rehearse cache verify'] as const;

  for (const firstOpen of firstOpens) {
    it(`leaves a hot journal, which the first open (${firstOpen}) rolls back to the last commit`, async () => {
      const dir = tempDir();
      const cachePath = join(dir, 'cache.sqlite');
      const journal = `${cachePath}-journal`;
      const calls: EchoCall[] = Array.from({ length: 30 }, (_, n) => ({ series: 'committed', n, padLength: 400 }));
      const bot = echoBot('crash-bot');
      const options = { mode: 'replay' as const, cachePath, cwd: dir, env: { REHEARSE_STATE: join(dir, 'state.sqlite') }, parameters: { calls } };

      // Recorded earlier, and committed: 30 calls of the bot, and entries of another bot beside them.
      const recorded = await invoke(bot, options);
      expect(recorded.error).toBeUndefined();
      expect(recorded.cache).toMatchObject({ recorded: 30, hits: 0 });
      await closeSharedStores();
      writeRows(cachePath, Array.from({ length: 150 }, (_, n) => echoRow('default', 'filler-bot', { series: 'filler', n, padLength: 600 })));
      const committed = readRows(cachePath);
      expect(committed).toHaveLength(180);
      const committedBytes = sha256(cachePath);
      expect(existsSync(journal)).toBe(false);

      const holder = start('crash-holder.ts', [cachePath]);
      await holder.waitFor(isLine('ready'), 30_000, 'the crashing writer got ready');
      const [ready] = linesOf<{ inserted: string[] }>(holder, 'ready');
      const uncommittedKeys = ready?.inserted ?? [];
      expect(uncommittedKeys).toHaveLength(300);
      // Uncommitted pages are in the file itself (spilled), the originals in the journal.
      expect(existsSync(journal)).toBe(true);
      expect(sha256(cachePath)).not.toBe(committedBytes);

      expect(await holder.kill()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(holder.stderr).toBe('');
      expect(statSync(journal).size).toBeGreaterThan(0);
      // Hot: a read-only connection cannot read the file until the journal is rolled back.
      expect(readOnlyRead(cachePath)).toBe('SQLITE_READONLY_ROLLBACK');
      expect(existsSync(journal)).toBe(true);

      // The first open after the crash.
      if (firstOpen === 'a strict replay') {
        const replayed = await invoke(bot, { ...options, strict: true });
        expect(replayed.error).toBeUndefined();
        expect(replayed.status).toBe('completed');
        expect(replayed.cache).toMatchObject({ hits: 30, misses: 0, recorded: 0 });
        expect(replayed.result.output).toEqual(calls.map((call) => echoOutput(echoParams(call.series, call.n, call.padLength))));
      } else if (firstOpen === 'rehearse cache ls') {
        const listed = await rehearse(['cache', 'ls', '--cache', cachePath, '--format', 'json'], { cwd: dir });
        expect(listed.stderr).not.toMatch(/READONLY|CACHE_FILE_INVALID|Cannot use the cache file/);
        expect(listed.code).toBe(0);
        expect((JSON.parse(listed.stdout) as { count: number }).count).toBe(180);
      } else {
        const verified = await rehearse(['cache', 'verify', '--cache', cachePath, '--all-orgs'], { cwd: dir });
        expect(verified.stderr).not.toMatch(/READONLY|CACHE_FILE_INVALID|Cannot use the cache file/);
        expect(verified.code).toBe(0);
        expect(verified.stdout).toContain('OK: the file is sound');
        expect(verified.stdout).toContain('180 recomputed');
      }

      // Rolled back: the journal is gone and the file is byte for byte the committed one.
      expect(existsSync(journal)).toBe(false);
      expect(sha256(cachePath)).toBe(committedBytes);
      const after = readRows(cachePath);
      expect(after).toEqual(committed);
      const keysAfter = new Set(after.map((row) => row.key));
      expect(uncommittedKeys.filter((key) => keysAfter.has(key))).toEqual([]);
      expect(after.filter((row) => row.status !== 'success' || row.output.includes('uncommitted'))).toEqual([]);

      // And every way in works on it.
      const verified = await rehearse(['cache', 'verify', '--cache', cachePath, '--all-orgs'], { cwd: dir });
      expect(verified.code).toBe(0);
      expect(verified.stdout).toContain('OK: the file is sound');
      const replayed = await invoke(bot, { ...options, strict: true });
      expect(replayed.error).toBeUndefined();
      expect(replayed.cache).toMatchObject({ hits: 30, misses: 0, recorded: 0 });
      expect(readRows(cachePath)).toEqual(committed);
    }, 60_000);
  }
});

interface Ack {
  life: number;
  slot: number;
  n: number;
  key: string;
}

describe('recorders killed at random instants while others replay and prune', () => {
  it('loses no acknowledged entry over 50 kill -9, and the replayer and the pruner never see an error', async () => {
    const started = performance.now();
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    const journal = `${cachePath}-journal`;
    const replayCount = 40;
    const pruneCount = 120;
    const targetKills = 50;
    const slots = 2;
    writeRows(cachePath, [...replayCalls(replayCount).map((call) => echoRow('default', replayBotKey, call)), ...pruneRows(pruneCount)]);

    const replayer = start('crash-replayer.ts', [cachePath, dir, String(replayCount)]);
    const pruner = start('crash-pruner.ts', [cachePath, String(pruneCount)]);
    await Promise.all([
      replayer.waitFor(isLine('ready'), 30_000, 'the replayer got ready'),
      pruner.waitFor(isLine('ready'), 30_000, 'the pruner got ready'),
    ]);

    const acked = new Map<string, Ack>();
    const recorderTrouble: string[] = [];
    let kills = 0;
    let lives = 0;
    let journalsLeft = 0;
    let ackedBeforeKill = 0;

    async function recorderSlot(slot: number): Promise<void> {
      while (kills < targetKills) {
        const life = lives++;
        const recorder = start('crash-recorder.ts', [cachePath, String(slot), String(life), '4'], (text) => {
          if (isLine('ack')(text)) {
            const { n, key } = JSON.parse(text.slice(4)) as { n: number; key: string };
            acked.set(key, { life, slot, n, key });
          } else if (!isLine('ready')(text)) recorderTrouble.push(`recorder ${slot}/${life}: ${text}`);
        });
        // The random instant counts from `ready`, which the recorder writes as it starts writing: a
        // process takes a few hundred ms to load under tsx, so counting from the spawn would mostly
        // kill it before it touched the file.
        await recorder.waitFor(isLine('ready'), 30_000, `recorder ${slot}/${life} got ready`);
        await sleep(10 + Math.random() * 140);
        const exit = await recorder.kill();
        kills++;
        if (exit.signal !== 'SIGKILL') recorderTrouble.push(`recorder ${slot}/${life} ended by itself: ${JSON.stringify(exit)}`);
        if (recorder.stderr !== '') recorderTrouble.push(`recorder ${slot}/${life} stderr: ${recorder.stderr}`);
        if (linesOf(recorder, 'ack').length > 0) ackedBeforeKill++;
        if (existsSync(journal)) journalsLeft++;
      }
    }
    await Promise.all(Array.from({ length: slots }, (_, slot) => recorderSlot(slot)));
    const killedAt = performance.now();

    replayer.send('stop');
    pruner.send('stop');
    const [replayerExit, prunerExit] = await Promise.all([replayer.exited, pruner.exited]);
    const replayerDone = linesOf<{ replays: number; lookups: number; errors: number }>(replayer, 'done');
    const prunerDone = linesOf<{ deletes: number; deleted: number; refills: number; errors: number; present: number }>(pruner, 'done');

    console.info(
      `crash test: ${kills} kills of ${lives} recorder processes in ${Math.round(killedAt - started)} ms; ${acked.size} entries acknowledged ` +
        `(${ackedBeforeKill} lives acknowledged some); a journal was beside the file after ${journalsLeft} kills; ` +
        `replayer ${JSON.stringify(replayerDone[0])}; pruner ${JSON.stringify(prunerDone[0])}`,
    );

    expect(kills).toBeGreaterThanOrEqual(targetKills);
    expect(recorderTrouble).toEqual([]);
    expect(acked.size).toBeGreaterThan(0);
    // The kills did land inside transactions: many left a journal beside the file (about half of them, typically).
    expect(journalsLeft).toBeGreaterThan(0);
    // Nobody beside the crashing recorders saw anything go wrong: no error of any kind, CACHE_BUSY included.
    expect(linesOf(replayer, 'error')).toEqual([]);
    expect(replayer.stderr).toBe('');
    expect(replayerExit).toEqual({ code: 0, signal: null });
    expect(replayerDone).toEqual([expect.objectContaining({ errors: 0 })]);
    expect(replayerDone[0]!.replays).toBeGreaterThan(0);
    expect(linesOf(pruner, 'error')).toEqual([]);
    expect(pruner.stderr).toBe('');
    expect(prunerExit).toEqual({ code: 0, signal: null });
    expect(prunerDone).toEqual([expect.objectContaining({ errors: 0 })]);
    expect(prunerDone[0]!.deletes).toBeGreaterThan(0);

    // One normal open recovers whatever the last kill left.
    const store = new SqliteStore(cachePath);
    try {
      await store.check();
      expect(existsSync(journal)).toBe(false);
      const stored = new Map((await store.rowsByKey('default', [...acked.keys()])).map((row) => [row.key, row]));
      const lost = [...acked.values()].filter((ack) => !stored.has(ack.key));
      expect(lost, `acknowledged entries missing from the file: ${lost.length} of ${acked.size}`).toEqual([]);
      const altered = [...acked.values()].filter((ack) => {
        const expected = echoRow('default', recorderBotKey, recorderCall(ack.slot, ack.life, ack.n));
        return expected.key !== ack.key || JSON.stringify(stored.get(ack.key)) !== JSON.stringify(expected);
      });
      expect(altered).toEqual([]);
      expect(await store.count({ org: 'default', botId: replayBotKey })).toBe(replayCount);
      expect(await store.count({ org: pruneOrg })).toBe(prunerDone[0]!.present);
      expect(await store.integrity(10)).toEqual(['ok']);
    } finally {
      await store.close();
    }

    const db = new Database(cachePath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      const recorderRows = db.prepare<[string], { n: number }>('SELECT count(*) AS n FROM entries WHERE bot_id = ?').get(recorderBotKey);
      expect(recorderRows?.n).toBeGreaterThanOrEqual(acked.size);
    } finally {
      db.close();
    }

    const verified = await rehearse(['cache', 'verify', '--cache', cachePath, '--all-orgs'], { cwd: dir });
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout).toContain('OK: the file is sound');

    // Strict replays of the seeded calls, and of every acknowledged recording.
    const env = { REHEARSE_STATE: join(dir, 'state.sqlite') };
    const replayed = await invoke(echoBot(replayBotKey), { mode: 'replay', strict: true, cachePath, cwd: dir, env, parameters: { calls: replayCalls(replayCount) } });
    expect(replayed.error).toBeUndefined();
    expect(replayed.cache).toMatchObject({ hits: replayCount, misses: 0, recorded: 0 });
    const ackedCalls = [...acked.values()].map((ack) => recorderCall(ack.slot, ack.life, ack.n));
    const replayedAcked = await invoke(echoBot(recorderBotKey), { mode: 'replay', strict: true, cachePath, cwd: dir, env, parameters: { calls: ackedCalls } });
    expect(replayedAcked.error).toBeUndefined();
    expect(replayedAcked.cache).toMatchObject({ hits: acked.size, misses: 0, recorded: 0 });
    expect(replayedAcked.result.output).toEqual(ackedCalls.map((call) => echoOutput(echoParams(call.series, call.n, call.padLength))));
    console.info(`crash test: done in ${Math.round(performance.now() - started)} ms`);
  }, 120_000);
});
