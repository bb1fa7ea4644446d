import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cacheSchemaVersion } from '../../src/cache/sqlite/schema.js';
import { defineBot, invoke, type InvokeOptions } from '../../src/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath, tempDir } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

/** What a folder holds beside the local state folder (.rehearse, git-ignored), which every invocation writes its record to. */
function cacheFolderEntries(dir: string): string[] {
  return readdirSync(dir).filter((name) => name !== '.rehearse');
}

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Files next to the cache that SQLite leaves while a write is unfinished. */
function sidecars(cachePath: string): string[] {
  return readdirSync(dirname(cachePath)).filter((name) => /-(wal|shm|journal)$/.test(name));
}

const bot = defineBot({
  key: 'backend-bot',
  version: 'v1',
  async run(input, ctx) {
    const answers: Array<string | null> = [];
    for (const word of input.prompt.split(' ')) {
      answers.push((await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: word }] })).content);
    }
    return answers;
  },
});

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(async () => {
  await server.close();
});

function options(cachePath: string, extra: Partial<InvokeOptions> = {}): InvokeOptions {
  return { input: 'alpha beta gamma', mode: 'replay', cachePath, cwd: dirname(cachePath), env: { ...suiteState(), OPENAI_BASE_URL: server.url }, ...extra };
}

describe('the SQLite cache file', () => {
  it('is checkpointed after recording (no -wal/-shm/-journal) and left byte-for-byte unchanged by replay hits', async () => {
    const cachePath = tempCachePath();
    const recorded = await invoke(bot, options(cachePath));
    expect(recorded.status).toBe('completed');
    expect(recorded.cache.recorded).toBe(3);
    expect(sidecars(cachePath)).toEqual([]);
    expect(cacheFolderEntries(dirname(cachePath))).toEqual(['cache.sqlite']);

    const hashBefore = fileHash(cachePath);
    const mtimeBefore = statSync(cachePath).mtimeMs;

    const hit = await invoke(bot, options(cachePath));
    expect(hit.cache).toMatchObject({ hits: 3, misses: 0, recorded: 0 });
    const strictHit = await invoke(bot, options(cachePath, { strict: true }));
    expect(strictHit.cache).toMatchObject({ hits: 3, misses: 0, recorded: 0 });
    expect(server.requests).toHaveLength(3);

    expect(fileHash(cachePath)).toBe(hashBefore);
    expect(statSync(cachePath).mtimeMs).toBe(mtimeBefore);
    expect(sidecars(cachePath)).toEqual([]);
  });

  it('is left unchanged by a strict miss', async () => {
    const cachePath = tempCachePath();
    await invoke(bot, options(cachePath));
    const hashBefore = fileHash(cachePath);

    const miss = await invoke(bot, options(cachePath, { input: 'alpha delta', strict: true }));
    expect(miss.error?.code).toBe('CACHE_STRICT_MISS');
    expect(fileHash(cachePath)).toBe(hashBefore);
    expect(sidecars(cachePath)).toEqual([]);
  });

  it('has the entries table of DESIGN.md with primary key (org, key), and meta holding schema_version', async () => {
    const cachePath = tempCachePath();
    await invoke(bot, options(cachePath, { input: 'alpha' }));

    const db = new Database(cachePath, { readonly: true });
    try {
      const info = db.prepare("SELECT name, pk FROM pragma_table_info('entries')").all() as Array<{ name: string; pk: number }>;
      const names = info.map((column) => column.name);
      for (const column of ['org', 'key', 'bot_id', 'bot_version', 'action_type', 'params', 'occurrence', 'output', 'status', 'usage', 'cost_usd', 'duration_ms', 'created_at']) {
        expect(names).toContain(column);
      }
      const primaryKey = info.filter((column) => column.pk > 0).sort((a, b) => a.pk - b.pk).map((column) => column.name);
      expect(primaryKey).toEqual(['org', 'key']);

      expect(db.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: String(cacheSchemaVersion) });

      const row = db.prepare('SELECT * FROM entries').get() as Record<string, unknown>;
      expect(row).toMatchObject({ org: 'default', bot_id: 'backend-bot', bot_version: 'v1', action_type: 'llm.message', occurrence: 0, status: 'success' });
      expect(Number.isNaN(Date.parse(String(row.created_at)))).toBe(false);
      expect(typeof row.duration_ms).toBe('number');
      expect(JSON.parse(String(row.output))).toMatchObject({ content: 'echo: alpha' });
    } finally {
      db.close();
    }
  });

  describe('refuses files it does not recognise, without touching them', () => {
    const runs: Array<[string, Partial<InvokeOptions>]> = [
      ['replay', {}],
      ['strict replay', { strict: true }],
      ['refresh', { refresh: true }],
    ];

    it.each(runs)('a file that is not SQLite (%s)', async (_name, extra) => {
      const cachePath = tempCachePath();
      writeFileSync(cachePath, 'these are my notes, not a database\n'.repeat(200));
      const hashBefore = fileHash(cachePath);

      const result = await invoke(bot, options(cachePath, { input: 'alpha', ...extra }));
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('CACHE_FILE_INVALID');
      expect(result.error?.message).toContain(cachePath);
      expect(fileHash(cachePath)).toBe(hashBefore);
      expect(sidecars(cachePath)).toEqual([]);
      if (!extra.refresh) expect(server.requests).toHaveLength(0); // refused before any live call
    });

    it.each(runs)('a SQLite file with other tables (%s)', async (_name, extra) => {
      const cachePath = tempCachePath();
      const setup = new Database(cachePath);
      setup.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('keep me');");
      setup.close();
      const hashBefore = fileHash(cachePath);

      const result = await invoke(bot, options(cachePath, { input: 'alpha', ...extra }));
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('CACHE_FILE_INVALID');
      expect(result.error?.message).toContain('not a rehearse cache');
      expect(fileHash(cachePath)).toBe(hashBefore);
      expect(sidecars(cachePath)).toEqual([]);

      const check = new Database(cachePath, { readonly: true });
      try {
        const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all();
        expect(tables).toEqual([{ name: 'notes' }]);
      } finally {
        check.close();
      }
    });

    it.each(runs)('a cache written by a newer rehearse (%s)', async (_name, extra) => {
      const cachePath = tempCachePath();
      await invoke(bot, options(cachePath, { input: 'alpha' }));
      const edit = new Database(cachePath);
      edit.prepare("UPDATE meta SET value = '999' WHERE name = 'schema_version'").run();
      edit.close();
      expect(sidecars(cachePath)).toEqual([]);
      const hashBefore = fileHash(cachePath);
      const requestsBefore = server.requests.length;

      const result = await invoke(bot, options(cachePath, { input: 'alpha', ...extra }));
      expect(result.status).toBe('failed');
      expect(result.error?.code).toBe('CACHE_FILE_INVALID');
      expect(result.error?.message).toMatch(/written by a newer rehearse/);
      expect(result.error?.message).toContain('999');
      expect(result.error?.hint).toMatch(/upgrade/i);
      expect(fileHash(cachePath)).toBe(hashBefore);
      expect(sidecars(cachePath)).toEqual([]);
      if (!extra.refresh) expect(server.requests).toHaveLength(requestsBefore);
    });
  });

  it('a strict replay in a cwd without a cache file creates nothing', async () => {
    const cwd = tempDir();
    const result = await invoke(bot, { input: 'alpha', mode: 'replay', strict: true, cwd, env: { ...suiteState(), OPENAI_BASE_URL: server.url } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('CACHE_STRICT_MISS');
    expect(result.error?.message).toContain('There is no recording of llm.message for bot "backend-bot"');
    expect(server.requests).toHaveLength(0);
    expect(cacheFolderEntries(cwd)).toEqual([]);
  });

  it('a recording replay in a cwd without a cache file creates it at the default path', async () => {
    const cwd = tempDir();
    const result = await invoke(bot, { input: 'alpha', mode: 'replay', cwd, env: { ...suiteState(), OPENAI_BASE_URL: server.url } });
    expect(result.status).toBe('completed');
    expect(cacheFolderEntries(cwd)).toEqual(['cache']);
    expect(readdirSync(join(cwd, 'cache'))).toEqual(['rehearse.sqlite']);
  });

  // The backend accepts a SQLite file without tables as a new cache (checkFormat: "a new, empty file"),
  // e.g. one made with `touch`; reading it must then be a miss, not a crash.
  it('treats an empty (0-byte) file as an empty cache', async () => {
    const cachePath = tempCachePath();
    writeFileSync(cachePath, '');

    const strict = await invoke(bot, options(cachePath, { input: 'alpha', strict: true }));
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
    expect(readFileSync(cachePath).length).toBe(0);

    const recorded = await invoke(bot, options(cachePath, { input: 'alpha' }));
    expect(recorded.error).toBeUndefined();
    expect(recorded.cache).toMatchObject({ misses: 1, recorded: 1 });
    expect(existsSync(cachePath)).toBe(true);
    const db = new Database(cachePath, { readonly: true });
    try {
      expect(db.prepare('SELECT count(*) AS n FROM entries').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});

describe('a cache file of schema 1 (before recorded stream pieces)', () => {
  it('is replayed without being changed, and upgraded to the current schema by its first recording', async () => {
    const cachePath = tempCachePath();
    const db = new Database(cachePath);
    db.exec(`CREATE TABLE meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('schema_version', '1');
      CREATE TABLE entries (org TEXT NOT NULL, key TEXT NOT NULL, bot_id TEXT NOT NULL, bot_version TEXT NOT NULL,
        action_type TEXT NOT NULL, params TEXT NOT NULL, occurrence INTEGER NOT NULL DEFAULT 0, output TEXT NOT NULL,
        status TEXT NOT NULL, usage TEXT, cost_usd REAL NOT NULL DEFAULT 0, duration_ms REAL NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL, PRIMARY KEY (org, key));`);
    db.close();
    const server = await startOpenAIServer();
    try {
      const bot = defineBot({ key: 'old-file-bot', version: 'v1', run: (input, ctx) => ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] }) });
      const options = { input: 'hello', mode: 'replay' as const, cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } };
      const before = readFileSync(cachePath);
      expect((await invoke(bot, { ...options, strict: true })).error?.code).toBe('CACHE_STRICT_MISS');
      expect(readFileSync(cachePath).equals(before)).toBe(true);
      const recorded = await invoke(bot, options);
      expect(recorded.cache.recorded).toBe(1);
      const replayed = await invoke(bot, { ...options, strict: true });
      expect(replayed.cache.hits).toBe(1);
      const upgraded = new Database(cachePath, { readonly: true });
      try {
        expect(upgraded.prepare("SELECT value FROM meta WHERE name = 'schema_version'").get()).toEqual({ value: String(cacheSchemaVersion) });
        expect(upgraded.prepare("SELECT name FROM pragma_table_info('entries') WHERE name = 'deltas'").get()).toEqual({ name: 'deltas' });
      } finally {
        upgraded.close();
      }
    } finally {
      await server.close();
    }
  });
});
