/**
 * What the SQLite store leaves on disk when things go wrong, and what it does with what others left:
 * a file a crashed WAL writer (an older rehearse) left is recovered and returned to a single file;
 * a full disk fails the recording with a clear error, loses nothing and leaves the file usable; a
 * long-lived process replays many invocations through one open file.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeSharedStores } from '../../src/cache/open.js';
import { defineBot, invoke, type InvokeOptions } from '../../src/index.js';
import { cacheRow, writeRows } from '../support/cache-seed.js';
import { repoRoot } from '../support/cli.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath, tempDir } from '../support/temp.js';

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(() => server.close());

const bot = defineBot({
  key: 'recovery-bot',
  version: 'v1',
  run: async (input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content,
});

function options(cachePath: string, extra: Partial<InvokeOptions> = {}): InvokeOptions {
  return { mode: 'replay', cachePath, cwd: dirname(cachePath), env: { OPENAI_BASE_URL: server.url }, ...extra };
}

function sidecars(cachePath: string): string[] {
  return readdirSync(dirname(cachePath)).filter((name) => /-(wal|shm|journal)$/.test(name));
}

function count(cachePath: string): number {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare<[], { n: number }>('SELECT count(*) AS n FROM entries').get()!.n;
  } finally {
    db.close();
  }
}

describe('a file left in WAL mode by a writer that crashed (an older rehearse)', () => {
  it('is recovered by a strict replay: its committed WAL entries are there, and it is one file again', async () => {
    const cachePath = tempCachePath();
    expect((await invoke(bot, options(cachePath, { input: 'committed before' }))).cache.recorded).toBe(1);
    // A child turns the file to WAL, commits a row into the WAL, and is killed before any checkpoint.
    const late = cacheRow({ bot: 'recovery-bot', params: { late: true } });
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const D = require('better-sqlite3'); const db = new D(process.argv[1]); db.pragma('journal_mode = WAL'); db.pragma('wal_autocheckpoint = 0');
         db.prepare('INSERT INTO entries (org, key, bot_id, bot_version, action_type, params, occurrence, output, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)')
           .run(...JSON.parse(process.argv[2])); process.stdout.write('committed\\n'); setInterval(() => {}, 1000);`,
        cachePath,
        JSON.stringify([late.org, late.key, late.bot_id, late.bot_version, late.action_type, late.params, late.output, late.status, late.created_at]),
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    expect(sidecars(cachePath).sort()).toEqual(['cache.sqlite-shm', 'cache.sqlite-wal']);

    const replayed = await invoke(bot, options(cachePath, { input: 'committed before', strict: true }));
    expect(replayed.error).toBeUndefined();
    expect(replayed.cache.hits).toBe(1);
    expect(sidecars(cachePath)).toEqual([]);
    expect([...readFileSync(cachePath).subarray(18, 20)]).toEqual([1, 1]); // a rollback-journal file again
    expect(count(cachePath)).toBe(2);
  });
});

describe('a long-lived process', () => {
  it('replays and records many invocations through one open file, and closes it when asked', async () => {
    const cachePath = tempCachePath();
    for (let round = 0; round < 5; round++) {
      expect((await invoke(bot, options(cachePath, { input: `question ${round % 2}` }))).error).toBeUndefined();
    }
    const openHandles = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === cachePath;
      } catch {
        return false;
      }
    });
    expect(openHandles()).toHaveLength(1);
    expect(server.requests).toHaveLength(2);
    await closeSharedStores();
    expect(openHandles()).toHaveLength(0);
    expect(sidecars(cachePath)).toEqual([]);
  });
});

/** Whether this process may mount a small tmpfs (root on Linux): the one honest way to fill a disk in a test. */
function canMountTmpfs(): boolean {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return false;
  const probe = mkdtempSync(join(tmpdir(), 'rehearse-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

describe.runIf(canMountTmpfs())('a full disk (a 2 MB tmpfs; needs root)', () => {
  it('fails the recording with CACHE_WRITE_FAILED saying what is on disk, keeps every earlier recording, and records once there is room', async () => {
    const mount = tempDir();
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mount]);
    try {
      const cachePath = join(mount, 'cache.sqlite');
      writeRows(cachePath, Array.from({ length: 20 }, (_, index) => cacheRow({ bot: 'earlier', params: { index } })));
      expect((await invoke(bot, options(cachePath, { input: 'small' }))).cache.recorded).toBe(1);
      // Fill what is left, then ask for an answer too large to fit.
      const filler = join(mount, 'filler');
      let size = 0;
      try {
        for (;;) (writeFileSync(filler, Buffer.alloc(size + 16 * 1024)), (size += 16 * 1024));
      } catch {
        // ENOSPC: the disk is full up to the last 16 KB
      }
      server.reply(() => ({ kind: 'message', content: 'a long answer '.repeat(20_000) }));
      const failed = await invoke(bot, options(cachePath, { input: 'large' }));
      expect(failed.status).toBe('failed');
      expect(failed.error?.code).toBe('CACHE_WRITE_FAILED');
      expect(failed.error?.message).toContain(cachePath);
      expect(failed.error?.message).toMatch(/disk is full|could not create its journal|I\/O error/);
      const journalLeft = existsSync(`${cachePath}-journal`);
      expect(failed.error?.message).toContain(journalLeft ? `${cachePath}-journal is left beside the file` : 'nothing is left beside it');

      rmSync(filler);
      const strict = await invoke(bot, options(cachePath, { input: 'small', strict: true }));
      expect(strict.error).toBeUndefined();
      expect(count(cachePath)).toBe(21);
      expect(sidecars(cachePath)).toEqual([]);
      const recorded = await invoke(bot, options(cachePath, { input: 'large' }));
      expect(recorded.error).toBeUndefined();
      expect(recorded.cache.recorded).toBe(1);
      expect(count(cachePath)).toBe(22);
      const db = new Database(cachePath, { readonly: true });
      try {
        expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    } finally {
      await closeSharedStores();
      execFileSync('umount', ['-l', mount]);
    }
  }, 30_000);
});

describe('a cache path that is a folder', () => {
  it('is named as a folder, for a replay and for a recording, and nothing is created in it', async () => {
    const folder = tempDir();
    for (const strict of [true, false]) {
      const result = await invoke(bot, options(folder, { input: 'hello', strict }));
      expect(result.error?.code).toBe('CACHE_FILE_INVALID');
      expect(result.error?.message).toContain('it is a folder, not a file');
      expect(result.error?.hint).toContain(join(folder, 'rehearse.sqlite'));
    }
    expect(readdirSync(folder).filter((name) => name !== '.rehearse')).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});
