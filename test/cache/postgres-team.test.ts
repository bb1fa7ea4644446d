/**
 * A team on PostgreSQL, end to end: the committed file in front of the team store, `rehearse cache
 * pull` for offline replay, `rehearse cache push` (keys checked, secrets redacted, written once),
 * the cache commands on a server, and one live call per missing key across 8 processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it, onTestFinished } from 'vitest';
import { PostgresStore } from '../../src/cache/postgres/store.js';
import { defineBot, invoke, type InvokeResult } from '../../src/index.js';
import { cacheRow, writeRows } from '../support/cache-seed.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { describePostgres, startTestPostgres, type TestPostgres } from '../support/postgres.js';
import { nextMessage } from '../support/ipc.js';
import { tempCachePath } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

let server: TestPostgres;
let provider: FakeOpenAIServer;
let schemas = 0;
/** A URL to a fresh, empty schema (as the owner): each test its own team store. */
let url: string;

async function freshUrl(): Promise<string> {
  const schema = `team_${++schemas}_${process.pid}`;
  await server.query(`CREATE SCHEMA ${schema}`);
  const parsed = new URL(server.adminUrl);
  parsed.searchParams.set('options', `-c search_path=${schema}`);
  return parsed.toString();
}

function teamStore(): PostgresStore {
  const store = new PostgresStore(url);
  onTestFinished(() => store.close());
  return store;
}

const bot = defineBot({
  key: 'team-bot',
  version: 'v1',
  run: async (input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content,
});

describePostgres('a team on PostgreSQL', () => {
  beforeAll(async () => {
    server = await startTestPostgres();
    provider = await startOpenAIServer();
  }, 30_000);
  afterAll(async () => {
    await provider?.close();
    await server?.stop();
  });
  beforeEach(async () => {
    url = await freshUrl();
    provider.requests.length = 0;
  });

  it('the file in front: a lookup tries the file first, then the team store; a recording goes to the team store and leaves the file as it was', async () => {
    const file = tempCachePath();
    const env = { OPENAI_BASE_URL: provider.url, REHEARSE_CACHE_URL: url };
    // "in the file" is recorded into the file alone; "in the team" into the team store alone.
    await invoke(bot, { input: 'in the file', mode: 'replay', cachePath: file, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
    await invoke(bot, { input: 'in the team', mode: 'replay', cachePath: url, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
    expect(provider.requests).toHaveLength(2);
    const before = readFileSync(file);

    // cache.path of the config names the committed file; REHEARSE_CACHE_URL the team store.
    const configPath = writeConfig(dirname(file));
    const configured = (input: string, strict = false) => invoke(bot, { input, mode: 'replay', strict, cwd: dirname(file), configPath, env });
    expect((await configured('in the file', true)).cache.hits).toBe(1);
    expect((await configured('in the team', true)).cache.hits).toBe(1);
    const recorded = await configured('new');
    expect(recorded.cache.recorded).toBe(1);
    expect(provider.requests).toHaveLength(3);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(await teamStore().count({})).toBe(2);
  });

  it('pull copies the current recordings into the file, for a strict replay with no server; push uploads a file written once, keys checked, secrets redacted', async () => {
    const team = teamStore();
    await invoke(bot, { input: 'current', mode: 'replay', cachePath: url, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
    await team.record(cacheRow({ bot: 'team-bot', version: 'v0', params: { old: true } }));
    const dir = dirname(tempCachePath());
    const config = writeConfig(dir);
    const file = join(dir, 'cache.sqlite');

    const pulled = await rehearse(['cache', 'pull', '--config', config, '--url', url, '--format', 'json'], { cwd: dir });
    expect(pulled.code, pulled.stderr).toBe(0);
    // team-bot is not in the config's bots: its current version is unknown, so every version comes.
    expect(JSON.parse(pulled.stdout)).toMatchObject({ considered: 2, added: 2, kept: 0, not_current: 0, unknown_bots: 2 });
    expect(pulled.stdout).not.toContain(`:${new URL(server.adminUrl).password}@`);
    const offline = await invoke(bot, { input: 'current', mode: 'replay', strict: true, cachePath: file, env: { ...suiteState(), OPENAI_BASE_URL: 'http://127.0.0.1:9' } });
    expect(offline.error).toBeUndefined();
    expect(offline.cache.hits).toBe(1);
    const again = JSON.parse((await rehearse(['cache', 'pull', '--config', config, '--url', url, '--all-versions', '--format', 'json'], { cwd: dir })).stdout) as { added: number; kept: number };
    expect(again).toMatchObject({ added: 0, kept: 2 });

    // Push: a clean row, a row holding a secret, a tampered row, and one the team already has.
    const source = join(dir, 'push.sqlite');
    const clean = cacheRow({ bot: 'pusher', params: { q: 'clean' } });
    const secret = cacheRow({ bot: 'pusher', params: { q: 'my key is sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX' }, output: { content: 'and sk-proj-ABCDEFGHIJKLMNOPQRSTUVWX again' } });
    const tampered = { ...cacheRow({ bot: 'pusher', params: { q: 'tampered' } }), params: '{"q":"changed"}' };
    const existing = { ...cacheRow({ bot: 'team-bot', version: 'v0', params: { old: true } }), output: '"a different answer"' };
    writeRows(source, [clean, secret, tampered, existing]);
    const pushed = await rehearse(['cache', 'push', '--config', config, '--url', url, '--file', source, '--format', 'json'], { cwd: dir });
    expect(pushed.code).toBe(1); // the tampered row is refused
    expect(JSON.parse(pushed.stdout)).toMatchObject({ considered: 3, added: 2, kept: 1, redacted: 1, refused: [{ key: tampered.key }] });
    const stored = await team.rows({ org: 'default', botId: 'pusher' });
    const rows = [];
    for await (const row of stored) rows.push(row);
    expect(rows.map((row) => row.params).sort()).toEqual([clean.params, JSON.stringify({ q: 'my key is [REDACTED]' })].sort());
    expect(JSON.stringify(rows)).not.toContain('sk-proj-');
    expect((await team.find('default', existing.key))?.output).not.toBe('"a different answer"');
  }, 60_000);

  it("pull takes only each configured bot's current version unless --all-versions", async () => {
    const team = teamStore();
    await team.importRows(
      (async function* () {
        yield [cacheRow({ bot: 'versioned-bot', version: 'v2', params: { q: 'now' } }), cacheRow({ bot: 'versioned-bot', version: 'v1', params: { q: 'before' } })];
      })(),
      'keep',
    );
    const dir = dirname(tempCachePath());
    mkdirSync(join(dir, 'bots'));
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'pull-test', private: true, type: 'module' }));
    writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'], cache: { path: 'cache.sqlite' } }));
    writeFileSync(join(dir, 'bots/versioned.ts'), `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';\nexport const bot = defineBot({ key: 'versioned-bot', version: 'v2', run: () => 'x' });\n`);
    const current = JSON.parse((await rehearse(['cache', 'pull', '--url', url, '--format', 'json'], { cwd: dir })).stdout) as object;
    expect(current).toMatchObject({ considered: 1, added: 1, not_current: 1, unknown_bots: 0 });
    const all = JSON.parse((await rehearse(['cache', 'pull', '--url', url, '--all-versions', '--format', 'json'], { cwd: dir })).stdout) as object;
    expect(all).toMatchObject({ considered: 2, added: 1, kept: 1 });
  }, 60_000);

  it('every cache command works on the team store', async () => {
    await invoke(bot, { input: 'listed', mode: 'replay', cachePath: url, env: { ...suiteState(), OPENAI_BASE_URL: provider.url } });
    const dir = dirname(tempCachePath());
    const env = { REHEARSE_CACHE_URL: url };
    const stats = await rehearse(['cache', 'stats', '--format', 'json'], { cwd: dir, env });
    expect(JSON.parse(stats.stdout)).toMatchObject({ exists: true, entries: 1 });
    const ls = JSON.parse((await rehearse(['cache', 'ls', '--format', 'json'], { cwd: dir, env })).stdout) as { entries: Array<{ key: string }> };
    expect(ls.entries).toHaveLength(1);
    const key = ls.entries[0]!.key;
    expect((await rehearse(['cache', 'show', key.slice(0, 10)], { cwd: dir, env })).stdout).toContain('team-bot');
    const exported = await rehearse(['cache', 'export'], { cwd: dir, env });
    expect(exported.stdout.trim().split('\n')).toHaveLength(1);
    expect((await rehearse(['cache', 'verify'], { cwd: dir, env })).code).toBe(0);
    const cleared = await rehearse(['cache', 'clear', '--yes'], { cwd: dir, env });
    expect(cleared.code, cleared.stderr).toBe(0);
    const imported = await rehearse(['cache', 'import', '-'], { cwd: dir, env, stdin: exported.stdout });
    expect(imported.code, imported.stderr).toBe(0);
    expect(await teamStore().count({})).toBe(1);
    for (const run of [stats, exported]) expect(`${run.stdout}${run.stderr}`).not.toContain(`:${new URL(server.adminUrl).password}@`);
  }, 60_000);

  it('8 processes replaying one bot at once against the team store: the provider sees each question once', async () => {
    provider.reply((request) => ({ kind: 'message', content: `answer #${provider.requests.indexOf(request) + 1}`, delayMs: 10 }));
    onTestFinished(() => provider.reply((request) => ({ kind: 'message', content: `echo: ${(request.body as { messages: Array<{ content: string }> }).messages.at(-1)!.content}` })));
    const calls = 20;
    const workers: ChildProcess[] = Array.from({ length: 8 }, () =>
      spawn(process.execPath, ['--import', 'tsx', resolve(import.meta.dirname, 'fixtures/single-flight-worker.ts'), url, provider.url, String(calls)], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...suiteState() },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    try {
      await Promise.all(workers.map((worker) => nextMessage(worker)));
      const results = workers.map((worker) => nextMessage(worker) as Promise<{ output: unknown; cache: InvokeResult['cache']; error: unknown }>);
      for (const worker of workers) worker.send('go');
      const seen = await Promise.all(results);
      expect(seen.map((result) => result.error)).toEqual(Array(8).fill(null));
      expect(provider.requests).toHaveLength(calls);
      expect(new Set(seen.map((result) => JSON.stringify(result.output))).size).toBe(1);
      expect(seen.reduce((sum, result) => sum + result.cache.hits, 0)).toBe(7 * calls);
    } finally {
      for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  }, 120_000);
});

/** A rehearse.config.json in `dir` whose cache file is `dir/cache.sqlite`; returns its path. */
function writeConfig(dir: string): string {
  const path = join(dir, 'rehearse.config.json');
  writeFileSync(path, JSON.stringify({ cache: { path: 'cache.sqlite' } }));
  return path;
}
