/**
 * The PostgreSQL store against a real server (a throwaway cluster, or REHEARSE_TEST_PG_URL): the
 * shared store contract unchanged, then what only a server has: migrations, org isolation by
 * row-level security under real roles, a replay-only role, a server that is down, and a claim whose
 * holder's connection dies.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { PostgresStore } from '../../src/cache/postgres/store.js';
import type { RecordingStore } from '../../src/cache/types.js';
import { defineBot, invoke } from '../../src/index.js';
import { cacheRow } from '../support/cache-seed.js';
import { repoRoot } from '../support/cli.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { describePostgres, startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { describeStoreContract } from './store-contract.js';
import { suiteState } from '../support/suite-state.js';

let server: TestPostgres;
let schemas = 0;

/** A URL to a fresh schema of the test database, as `role`: each store of the contract starts empty. */
function urlWithSchema(url: string, schema: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

async function freshSchema(): Promise<string> {
  const schema = `contract_${++schemas}_${process.pid}`;
  await server.query(`CREATE SCHEMA ${schema}`);
  return schema;
}

/** The SQL block of the README's "For teams at scale", as it is written there. */
function readmeSql(): string {
  const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## For teams at scale'));
  const block = /```sql\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no sql block under "For teams at scale"');
  return block[1]!;
}

function open(url: string): PostgresStore {
  const store = new PostgresStore(url);
  onTestFinished(() => store.close());
  return store;
}

describePostgres('the PostgreSQL store', () => {
  beforeAll(async () => {
    server = await startTestPostgres();
  }, 30_000);
  afterAll(() => server?.stop());

  const urls = new WeakMap<RecordingStore, string>();
  const at = (url: string) => {
    const store = new PostgresStore(url);
    urls.set(store, url);
    return store;
  };
  describeStoreContract('PostgreSQL store', {
    open: async () => at(urlWithSchema(server.adminUrl, await freshSchema())),
    reopen: async (store) => at(urls.get(store)!),
  });

  describe("roles and org isolation (row-level security), set up with the README's SQL", () => {
    const roles = ['alice', 'ci_acme', 'bob_globex', 'rehearse_recorders', 'rehearse_replayers'];
    let database: string;
    let databaseUrl: (role?: string, password?: string) => string;

    beforeAll(async () => {
      database = `readme_${process.pid}_${Date.now()}`;
      await server.query(`CREATE DATABASE ${database}`);
      databaseUrl = (role, password) => {
        const parsed = new URL(role ? server.urlFor(role, password!) : server.adminUrl);
        parsed.pathname = `/${database}`;
        return parsed.toString();
      };
      for (const role of roles) await server.query(`DROP ROLE IF EXISTS ${role}`);
      // 1. The owner's first command creates the tables.
      const owner = new PostgresStore(databaseUrl());
      await owner.importRows(
        (async function* () {
          yield [cacheRow({ org: 'acme', params: { q: 'acme secret' } }), cacheRow({ org: 'globex', params: { q: 'globex secret' } })];
        })(),
        'keep',
      );
      await owner.close();
      // 2. The README's roles, exactly as written there, and one more recorder for another org.
      const client = new pg.Client({ connectionString: databaseUrl() });
      await client.connect();
      try {
        await client.query(readmeSql());
        await client.query("CREATE ROLE bob_globex LOGIN PASSWORD 'change-me-bob' IN ROLE rehearse_recorders; INSERT INTO rehearse_org_members (org, role) VALUES ('globex', 'bob_globex')");
      } finally {
        await client.end();
      }
    });
    afterAll(async () => {
      await server.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      for (const role of roles) await server.query(`DROP ROLE IF EXISTS ${role}`);
    });

    const passwords: Record<string, string> = { alice: 'change-me-alice', ci_acme: 'change-me-ci', bob_globex: 'change-me-bob' };
    const as = (role: string) => open(databaseUrl(role, passwords[role]));

    it("a role reads and writes its org's rows only, even with hand-written SQL", async () => {
      const acme = as('alice');
      expect(await acme.count({})).toBe(1);
      expect(await acme.count({ org: 'globex' })).toBe(0);
      const mine = cacheRow({ org: 'acme', params: { q: 'new' } });
      expect((await acme.record(mine)).inserted).toBe(true);
      await expect(acme.record(cacheRow({ org: 'globex', params: { q: 'planted' } }))).rejects.toThrow(/row-level security/);

      const client = new pg.Client({ connectionString: databaseUrl('alice', passwords.alice) });
      await client.connect();
      try {
        const seen = await client.query<{ org: string }>('SELECT DISTINCT org FROM entries');
        expect(seen.rows.map((row) => row.org)).toEqual(['acme']);
        expect((await client.query("UPDATE entries SET output = '\"changed\"' WHERE org = 'globex'")).rowCount).toBe(0);
        expect((await client.query("DELETE FROM entries WHERE org = 'globex'")).rowCount).toBe(0);
        await expect(client.query("INSERT INTO rehearse_org_members (org, role) VALUES ('globex', current_user)")).rejects.toThrow(/permission denied/);
      } finally {
        await client.end();
      }
      expect(await as('bob_globex').count({ org: 'globex' })).toBe(1);
      expect(await as('bob_globex').count({ org: 'acme' })).toBe(0);
    });

    it('a replay-only role replays, and a miss that would record fails with CACHE_READ_ONLY before any live call', async () => {
      const provider = await startOpenAIServer();
      onTestFinished(() => provider.close());
      const bot = defineBot({
        key: 'read-only-bot',
        version: 'v1',
        run: async (input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content,
      });
      const recorderUrl = databaseUrl('alice', passwords.alice);
      const ciUrl = databaseUrl('ci_acme', passwords.ci_acme);
      const recorded = await invoke(bot, { input: 'hello', mode: 'replay', org: 'acme', cachePath: recorderUrl, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
      expect(recorded.cache.recorded).toBe(1);

      const replayed = await invoke(bot, { input: 'hello', mode: 'replay', org: 'acme', cachePath: ciUrl, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
      expect(replayed.error).toBeUndefined();
      expect(replayed.cache.hits).toBe(1);
      const missed = await invoke(bot, { input: 'something new', mode: 'replay', org: 'acme', cachePath: ciUrl, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
      expect(missed.error?.code).toBe('CACHE_READ_ONLY');
      expect(JSON.stringify(missed)).not.toContain(passwords.ci_acme);
      expect(provider.requests).toHaveLength(1);
    });
  });

  describe('migrations', () => {
    it('creates the schema once, records its version, and refuses a newer one without touching it', async () => {
      const schema = await freshSchema();
      const store = open(urlWithSchema(server.adminUrl, schema));
      await store.check();
      expect((await server.query(`SELECT value FROM ${schema}.rehearse_meta WHERE name = 'schema_version'`)).rows).toEqual([{ value: '1' }]);
      await server.query(`UPDATE ${schema}.rehearse_meta SET value = '99' WHERE name = 'schema_version'`);
      const newer = open(urlWithSchema(server.adminUrl, schema));
      await expect(newer.check()).rejects.toMatchObject({ code: 'CACHE_STORE_INVALID', message: expect.stringContaining('newer rehearse') });
      expect((await server.query(`SELECT value FROM ${schema}.rehearse_meta WHERE name = 'schema_version'`)).rows).toEqual([{ value: '99' }]);
    });

    it('8 stores migrating one empty schema at once create it once, without an error', async () => {
      const schema = await freshSchema();
      const stores = Array.from({ length: 8 }, () => open(urlWithSchema(server.adminUrl, schema)));
      await Promise.all(stores.map((store) => store.check()));
      expect(await stores[0]!.count({})).toBe(0);
    });
  });

  describe('a server that is down', () => {
    it('is one CACHE_UNREACHABLE error naming host and port, never the password, within the connect timeout', async () => {
      const probe = await import('node:net').then(({ createServer }) => new Promise<number>((resolve) => {
        const listener = createServer().listen(0, '127.0.0.1', () => {
          const { port } = listener.address() as { port: number };
          listener.close(() => resolve(port));
        });
      }));
      const url = `postgres://someone:hunter2-secret@127.0.0.1:${probe}/nothing`;
      const store = open(url);
      const started = performance.now();
      const error = await store.check().then(
        () => {
          throw new Error('check() of a server that is down succeeded');
        },
        (caught: unknown) => caught as Error & { code: string; hint?: string },
      );
      expect(performance.now() - started).toBeLessThan(6000);
      expect(error).toMatchObject({ code: 'CACHE_UNREACHABLE' });
      expect(error.message).toContain(`127.0.0.1:${probe}`);
      expect(`${error.message} ${error.hint ?? ''}`).not.toContain('hunter2');
      expect(store.location).not.toContain('hunter2');

      const bot = defineBot({ key: 'down-bot', version: 'v1', run: async (_input, ctx) => ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }) });
      const result = await invoke(bot, { input: 'x', mode: 'replay', strict: true, cachePath: url });
      expect(result.error?.code).toBe('CACHE_UNREACHABLE');
      expect(JSON.stringify(result)).not.toContain('hunter2');
    });
  });

  describe('claims', () => {
    it("a claim whose holder's connection dies is taken over at once, before its lease lapses", async () => {
      const url = urlWithSchema(server.adminUrl, await freshSchema());
      const holder = open(url);
      const waiter = open(url);
      const held = await holder.claim('default', 'k', 60_000);
      expect(held.claimed).toBe(true);
      expect((await waiter.claim('default', 'k', 60_000)).claimed).toBe(false);
      // The holder's process dies: its connections end (here: the server ends them).
      await server.query("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()");
      // Termination is asynchronous: the waiter polls, as single flight does, and gets the claim within
      // moments, far inside the holder's 60 s lease.
      const started = Date.now();
      let taken = await waiter.claim('default', 'k', 60_000);
      while (!taken.claimed && Date.now() - started < 5000) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        taken = await waiter.claim('default', 'k', 60_000);
      }
      expect(taken.claimed).toBe(true);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });
});
