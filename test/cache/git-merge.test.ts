/**
 * `rehearse cache merge` as git's merge driver, in real repositories: two branches that record into
 * the committed cache merge into the union of their recordings (verified clean); a removal on one
 * branch is honoured, and a removal against a change keeps the change and says so; the same key
 * recorded differently on both branches keeps the newer recording, names it, and gives the same file
 * whichever way the merge goes; histories with no common ancestor merge from an empty base; and a
 * side that cannot be merged fails the merge without touching ours.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/cache/sqlite/store.js';
import type { CacheRow } from '../../src/cache/types.js';
import { cacheRow, writeRows, type SeedEntry } from '../support/cache-seed.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { commitAll, git, gitRun, gitTestEnv, rehearseCommand, tempRepo } from '../support/git-repo.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

const cachePath = 'cache/rehearse.sqlite';

/** Every row of a cache file, every org, read through the store. */
async function rowsIn(file: string): Promise<CacheRow[]> {
  const store = new SqliteStore(file);
  try {
    const rows: CacheRow[] = [];
    for await (const row of store.rows({})) rows.push(row);
    return rows;
  } finally {
    await store.close();
  }
}

/** Replaces the cache file with exactly these entries (a branch that recorded, refreshed or deleted). */
function writeCache(file: string, entries: readonly SeedEntry[]): void {
  rmSync(file, { force: true });
  writeRows(file, entries.map(cacheRow));
}

function fileHash(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** A repository whose cache file git merges and diffs with this checkout's CLI, set up as a user would: rehearse cache git-setup. */
async function repoWithDrivers(): Promise<string> {
  const root = tempRepo();
  writeFileSync(join(root, 'rehearse.config.json'), JSON.stringify({ cache: { path: cachePath } }));
  const setup = await rehearse(['cache', 'git-setup', '--command', rehearseCommand], { cwd: root, env: gitTestEnv });
  expect(setup.code, setup.stderr).toBe(0);
  return root;
}

/** `git merge` of a branch into the one checked out, with the driver's report. */
function merge(root: string, branch: string, ...args: string[]) {
  return gitRun(root, 'merge', '--no-edit', ...args, branch);
}

/** The driver's lines in git's output. */
function driverLines(output: string): string[] {
  return output.split('\n').filter((line) => line.startsWith('rehearse cache merge: '));
}

function expectNoFilesBeside(file: string): void {
  expect(readdirSync(dirname(file)).filter((name) => name !== 'rehearse.sqlite')).toEqual([]);
}

describe('two branches that record through a bot', () => {
  let server: FakeOpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({
      handler: (request) => ({ kind: 'message', content: `You said: ${String(request.body?.messages?.at(-1)?.content)}` }),
    });
  });
  afterAll(() => server.close());

  it('merge into the union of their recordings, verified clean, and git diff shows them as text', async () => {
    const root = await repoWithDrivers();
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'merge-test', private: true, type: 'module' }));
    writeFileSync(join(root, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'], cache: { path: cachePath } }));
    writeFileSync(join(root, '.gitignore'), '.rehearse/\n');
    mkdirSync(join(root, 'bots'));
    writeFileSync(
      join(root, 'bots/echo-bot.ts'),
      `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';
export const echoBot = defineBot({
  key: 'echo-bot',
  version: 'v1',
  async run(input, ctx) {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    return answer.content;
  },
});
`,
    );
    const record = async (prompt: string) => {
      const run = await rehearse(['invoke', 'echo-bot', prompt, '--mode', 'replay', '--format', 'json'], {
        cwd: root,
        env: { ...gitTestEnv, OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-test-key' },
      });
      expect(run.code, run.stderr).toBe(0);
    };
    await record('hello from the base');
    commitAll(root, 'base recording');

    git(root, 'checkout', '-q', '-b', 'feature');
    await record('hello from the feature');
    commitAll(root, 'feature records');
    git(root, 'checkout', '-q', 'main');
    await record('hello from main');
    commitAll(root, 'main records');

    const merged = merge(root, 'feature');
    expect(merged.code, merged.stderr + merged.stdout).toBe(0);
    expect(merged.stdout + merged.stderr).not.toContain('CONFLICT');
    expect(driverLines(merged.stderr)).toEqual(['rehearse cache merge: merged 3 entries (ours added 1, theirs added 1); verified.']);

    const file = join(root, cachePath);
    const prompts = (await rowsIn(file)).map((row) => (JSON.parse(row.params) as { messages: Array<{ content: string }> }).messages[0]!.content).sort();
    expect(prompts).toEqual(['hello from main', 'hello from the base', 'hello from the feature']);
    const verify = await rehearse(['cache', 'verify', '--all-orgs'], { cwd: root });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toContain('3 recomputed');
    expectNoFilesBeside(file);
    expect(git(root, 'status', '--porcelain')).toBe('');

    // The merge commit against main's side: the feature's recording, as text.
    const diff = git(root, 'diff', 'HEAD^1', 'HEAD', '--', cachePath);
    expect(diff).not.toContain('Binary files');
    expect(diff).toMatch(/^\+entry default \/ echo-bot \/ llm\.message \/ [0-9a-f]{64}$/m);
    expect(diff).toContain('+  params: {"messages":[{"content":"hello from the feature","role":"user"}],"model":"gpt-4o-mini"}');
    expect(diff).toContain('+    content: "You said: hello from the feature"');
    expect(diff.split('\n').filter((line) => line.startsWith('+entry '))).toHaveLength(1);
    expect(diff.split('\n').filter((line) => line.startsWith('-'))).toEqual(['--- a/cache/rehearse.sqlite']);

    // The working tree's file against main's side: git runs the textconv on the file itself, which reading leaves as it was.
    const mergedHash = fileHash(file);
    expect(git(root, 'diff', 'HEAD^1', '--', cachePath)).toBe(diff);
    expect(fileHash(file)).toBe(mergedHash);
    expect(git(root, 'status', '--porcelain')).toBe('');

    // And the history, entry by entry.
    const log = git(root, 'log', '-p', '--first-parent', '--format=commit %s', '--', cachePath);
    expect(log).toContain('commit main records');
    expect(log).toContain('+    content: "You said: hello from main"');
    expect(log).toContain('+    content: "You said: hello from the base"');
  }, 120_000); // three recordings, a merge, a verify and git spawning the textconv: about 10 s alone, more on a busy machine
});

describe('a three-way merge by (org, key)', () => {
  const a = { bot: 'alpha-bot', params: { q: 'a' } };
  const b = { bot: 'beta-bot', params: { q: 'b' } };
  const c = { bot: 'gamma-bot', params: { q: 'c' } };

  it('honours a removal on one side, and keeps (and reports) a change the other side made to a removed entry', async () => {
    const root = await repoWithDrivers();
    const file = join(root, cachePath);
    writeCache(file, [a, b, c, { ...a, org: 'acme' }]);
    commitAll(root, 'base');

    git(root, 'checkout', '-q', '-b', 'cleanup');
    // A real removal: the cache command a developer runs.
    const clear = await rehearse(['cache', 'clear', '--bot', 'alpha-bot', '--yes'], { cwd: root });
    expect(clear.code, clear.stderr).toBe(0);
    const clearBeta = await rehearse(['cache', 'clear', '--bot', 'beta-bot', '--yes'], { cwd: root });
    expect(clearBeta.code, clearBeta.stderr).toBe(0);
    commitAll(root, 'drop alpha and beta');

    git(root, 'checkout', '-q', 'main');
    writeCache(file, [a, { ...b, output: { content: 'beta refreshed' }, createdAt: '2026-02-01T00:00:00.000Z' }, c, { ...a, org: 'acme' }]);
    commitAll(root, 'refresh beta');

    const merged = merge(root, 'cleanup');
    expect(merged.code, merged.stderr + merged.stdout).toBe(0);
    const betaKey = cacheRow(b).key;
    expect(driverLines(merged.stderr)).toEqual([
      `rehearse cache merge: default/beta-bot/llm.message ${betaKey.slice(0, 12)}: removed on theirs, changed on ours; kept ours (recorded 2026-02-01T00:00:00.000Z)`,
      'rehearse cache merge: merged 3 entries (1 removed, 1 resolved); verified.',
    ]);
    const rows = await rowsIn(file);
    expect(rows.map((row) => [row.org, row.bot_id, JSON.parse(row.output)])).toEqual([
      ['acme', 'alpha-bot', { content: 'hi' }],
      ['default', 'beta-bot', { content: 'beta refreshed' }],
      ['default', 'gamma-bot', { content: 'hi' }],
    ]);
  });

  it('keeps the newer of two different recordings of one key, names it, and gives the same file whichever way it merges', async () => {
    const root = await repoWithDrivers();
    const file = join(root, cachePath);
    writeCache(file, [a, b]);
    commitAll(root, 'base');

    git(root, 'checkout', '-q', '-b', 'feature');
    writeCache(file, [{ ...a, output: { content: 'alpha, feature' }, createdAt: '2026-03-01T00:00:00.000Z' }, b, { ...c, output: { content: 'gamma, feature' }, createdAt: '2026-01-05T00:00:00.000Z' }]);
    commitAll(root, 'feature refreshes alpha, records gamma');
    git(root, 'checkout', '-q', 'main');
    writeCache(file, [{ ...a, output: { content: 'alpha, main' }, createdAt: '2026-02-01T00:00:00.000Z' }, b, { ...c, output: { content: 'gamma, main' }, createdAt: '2026-01-09T00:00:00.000Z' }]);
    commitAll(root, 'main refreshes alpha, records gamma');

    // main, then the feature merged in.
    git(root, 'checkout', '-q', '-b', 'main-into-feature', 'feature');
    git(root, 'checkout', '-q', 'main');
    const merged = merge(root, 'feature');
    expect(merged.code, merged.stderr + merged.stdout).toBe(0);
    const [alphaKey, gammaKey] = [cacheRow(a).key, cacheRow(c).key];
    expect(driverLines(merged.stderr)).toEqual([
      `rehearse cache merge: default/alpha-bot/llm.message ${alphaKey.slice(0, 12)}: recorded differently on both sides; kept theirs (newer, recorded 2026-03-01T00:00:00.000Z)`,
      `rehearse cache merge: default/gamma-bot/llm.message ${gammaKey.slice(0, 12)}: recorded differently on both sides; kept ours (newer, recorded 2026-01-09T00:00:00.000Z)`,
      'rehearse cache merge: merged 3 entries (2 resolved); verified.',
    ]);
    expect((await rowsIn(file)).map((row) => JSON.parse(row.output).content)).toEqual(['alpha, feature', 'hi', 'gamma, main']);
    const mainWay = fileHash(file);

    // The feature, then main merged in: the other direction gives the same cache, byte for byte.
    git(root, 'checkout', '-q', 'main-into-feature');
    const reverse = merge(root, 'main~1');
    expect(reverse.code, reverse.stderr + reverse.stdout).toBe(0);
    expect(driverLines(reverse.stderr).at(-1)).toBe('rehearse cache merge: merged 3 entries (2 resolved); verified.');
    expect(fileHash(file)).toBe(mainWay);
  });

  it('keeps the change of one side when the other left the entry as it was, with nothing to report', async () => {
    const root = await repoWithDrivers();
    const file = join(root, cachePath);
    writeCache(file, [a, b]);
    commitAll(root, 'base');
    git(root, 'checkout', '-q', '-b', 'feature');
    // An older recording put back (an import), not a newer one: the side that changed it still wins.
    writeCache(file, [{ ...a, output: { content: 'restored' }, createdAt: '2025-06-01T00:00:00.000Z' }, b]);
    commitAll(root, 'feature restores alpha');
    git(root, 'checkout', '-q', 'main');
    writeCache(file, [a, b, c]);
    commitAll(root, 'main records gamma');

    const merged = merge(root, 'feature');
    expect(merged.code, merged.stderr).toBe(0);
    expect(driverLines(merged.stderr)).toEqual(['rehearse cache merge: merged 3 entries (ours added 1, theirs changed 1); verified.']);
    expect((await rowsIn(file)).map((row) => JSON.parse(row.output).content)).toEqual(['restored', 'hi', 'hi']);
  });

  it('merges histories with no common ancestor from an empty base', async () => {
    const root = await repoWithDrivers();
    const file = join(root, cachePath);
    writeCache(file, [a, b]);
    commitAll(root, 'one history');
    git(root, 'checkout', '-q', '--orphan', 'other');
    git(root, 'rm', '-q', '-r', '--cached', '.');
    writeCache(file, [{ ...b, output: { content: 'beta, other' }, createdAt: '2026-05-01T00:00:00.000Z' }, c]);
    commitAll(root, 'another history');
    git(root, 'checkout', '-q', 'main');

    const merged = merge(root, 'other', '--allow-unrelated-histories');
    expect(merged.code, merged.stderr + merged.stdout).toBe(0);
    expect(driverLines(merged.stderr).at(-1)).toBe('rehearse cache merge: merged 3 entries (ours added 1, theirs added 1, 1 resolved); verified.');
    expect((await rowsIn(file)).map((row) => JSON.parse(row.output).content)).toEqual(['hi', 'beta, other', 'hi']);
  });
});

describe('rehearse cache merge <base> <ours> <theirs>', () => {
  const entries: SeedEntry[] = [{ bot: 'alpha-bot' }, { bot: 'beta-bot', org: 'acme' }];

  /** Three files in a folder: a base, ours and theirs. */
  function sides(base: readonly SeedEntry[], ours: readonly SeedEntry[], theirs: readonly SeedEntry[]) {
    const dir = tempDir();
    const files = { base: join(dir, 'base.sqlite'), ours: join(dir, 'ours.sqlite'), theirs: join(dir, 'theirs.sqlite') };
    writeCache(files.base, base);
    writeCache(files.ours, ours);
    writeCache(files.theirs, theirs);
    return { dir, ...files };
  }

  const mergeFiles = (base: string, ours: string, theirs: string) => rehearse(['cache', 'merge', base, ours, theirs]);

  it('takes a base that is missing or empty as an empty cache', async () => {
    const files = sides([], entries.slice(0, 1), entries.slice(1));
    rmSync(files.base);
    const missing = await mergeFiles(files.base, files.ours, files.theirs);
    expect(missing.code, missing.stderr).toBe(0);
    expect((await rowsIn(files.ours)).map((row) => row.bot_id)).toEqual(['beta-bot', 'alpha-bot']);

    const again = sides([], entries.slice(0, 1), entries.slice(1));
    writeFileSync(again.base, ''); // what git passes when there is no common ancestor
    const empty = await mergeFiles(again.base, again.ours, again.theirs);
    expect(empty.code, empty.stderr).toBe(0);
    expect(empty.stderr).toBe('rehearse cache merge: merged 2 entries (ours added 1, theirs added 1); verified.\n');
    expect(readdirSync(again.dir).sort()).toEqual(['base.sqlite', 'ours.sqlite', 'theirs.sqlite']);
  });

  it('refuses a side that is not a cache, or of a newer schema, and leaves ours as it was', async () => {
    const files = sides(entries, entries, entries);
    const before = fileHash(files.ours);

    writeFileSync(files.theirs, 'not a database, just text that is long enough to be read as a header.........\n');
    const notSqlite = await mergeFiles(files.base, files.ours, files.theirs);
    expect(notSqlite.code).toBe(1);
    expect(notSqlite.stderr).toContain('Cannot merge the caches: theirs is not a cache this rehearse can merge.');
    expect(notSqlite.stderr).toContain('it is not a SQLite database');

    rmSync(files.theirs);
    const other = new Database(files.theirs);
    other.exec('CREATE TABLE notes (text TEXT)');
    other.close();
    const foreign = await mergeFiles(files.base, files.ours, files.theirs);
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toContain('it is a SQLite database but not a rehearse cache (tables: notes)');

    writeCache(files.theirs, entries);
    const newer = new Database(files.base);
    newer.prepare("UPDATE meta SET value = '99' WHERE name = 'schema_version'").run();
    newer.close();
    const future = await mergeFiles(files.base, files.ours, files.theirs);
    expect(future.code).toBe(1);
    expect(future.stderr).toContain('Cannot merge the caches: base is not a cache this rehearse can merge.');
    expect(future.stderr).toContain('written by a newer rehearse (cache schema 99');

    expect(fileHash(files.ours)).toBe(before);

    writeCache(files.base, entries);
    const gone = await mergeFiles(files.base, join(files.dir, 'no-such.sqlite'), files.theirs);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`Cannot merge the caches: ours (${join(files.dir, 'no-such.sqlite')}) does not exist.`);

    expect(readdirSync(files.dir).sort()).toEqual(['base.sqlite', 'ours.sqlite', 'theirs.sqlite']);
  });

  it('refuses a merge whose result fails verification (a row under another request\'s key), leaving ours as it was', async () => {
    const files = sides([], entries, entries.slice(0, 1));
    const tampered = new Database(files.theirs);
    tampered.prepare("UPDATE entries SET params = '{\"q\":\"edited\"}', created_at = '2027-01-01T00:00:00.000Z' WHERE bot_id = 'alpha-bot'").run();
    tampered.close();
    const before = fileHash(files.ours);
    const run = await mergeFiles(files.base, files.ours, files.theirs);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Cannot merge the caches: the merged cache fails verification with 1 fault: key-mismatch default/');
    expect(run.stderr).toContain('rehearse cache verify --all-orgs');
    expect(fileHash(files.ours)).toBe(before);
    expect(readdirSync(files.dir).sort()).toEqual(['base.sqlite', 'ours.sqlite', 'theirs.sqlite']);
  });

  it('fails git merge as a conflict, with the driver\'s reason, when a branch holds a damaged cache', async () => {
    const root = await repoWithDrivers();
    const file = join(root, cachePath);
    writeCache(file, entries);
    commitAll(root, 'base');
    git(root, 'checkout', '-q', '-b', 'broken');
    writeFileSync(file, 'this branch overwrote the cache with text');
    commitAll(root, 'broken cache');
    git(root, 'checkout', '-q', 'main');
    writeCache(file, [...entries, { bot: 'gamma-bot' }]);
    commitAll(root, 'main records');
    const ours = fileHash(file);

    const merged = merge(root, 'broken');
    expect(merged.code).toBe(1);
    expect(merged.stdout).toContain('CONFLICT (content): Merge conflict in cache/rehearse.sqlite');
    expect(merged.stderr).toContain('Cannot merge the caches: theirs is not a cache this rehearse can merge.');
    expect(fileHash(file)).toBe(ours);
  });
});
