/**
 * `rehearse cache stats|ls|show|clear|prune` end to end: the built CLI as a child process, in a
 * project folder of its own (rehearse.config.json, a bot file, a cache seeded through the cache
 * backend, and per-entry usage seeded in a state file through recordCacheHits). Deleting is checked
 * on the file itself: what went, what stayed (other orgs too), no -wal/-shm left, usage forgotten.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { canAsk, confirm } from '../../src/cli/cache/confirm.js';
import { progressBar } from '../../src/cli/cache/progress.js';
import { readCacheUsage, recordCacheHits } from '../../src/state/cache-usage.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { seedCache, type SeedEntry } from '../support/cache-seed.js';
import { rehearse, repoRoot, type CliRun } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});
afterEach(() => closeStateDatabase());

const day = 86_400_000;
const now = Date.now();
const ago = (ms: number) => new Date(now - ms).toISOString();

/**
 * The seeded entries. alpha-bot's current version (its bot file) is v2, so its v1 entries are stale;
 * ghost-bot has no bot file. Hits: oldUsed 3 (last 2 days ago), fresh 5 (now), acme 7 (org acme).
 */
const seeds = {
  oldUsed: { bot: 'alpha-bot', version: 'v1', params: { q: 'old, replayed lately' }, cost: 0.01, createdAt: ago(40 * day) },
  oldUnused: { bot: 'alpha-bot', version: 'v1', params: { q: 'old, never replayed' }, cost: 0.02, createdAt: ago(40 * day) },
  fresh: { bot: 'alpha-bot', version: 'v2', params: { q: 'fresh' }, cost: 0.03, createdAt: ago(day) },
  freshCode: { bot: 'alpha-bot', version: 'v2', action: 'codeexec.run', params: { language: 'python', code: 'print(1)' }, cost: 0, createdAt: ago(day) },
  ghost: { bot: 'ghost-bot', version: 'v1', params: { q: 'ghost' }, cost: 0.005, createdAt: ago(10 * day) },
  acme: { org: 'acme', bot: 'alpha-bot', version: 'v1', params: { q: 'acme, old' }, cost: 0.5, createdAt: ago(40 * day) },
} satisfies Record<string, SeedEntry>;
type SeedName = keyof typeof seeds;

interface Project {
  dir: string;
  cachePath: string;
  statePath: string;
  keys: Record<SeedName, string>;
  run(args: string[], stdin?: string): Promise<CliRun>;
}

/** A project folder with its config, a bot file (alpha-bot, version v2), the seeded cache and usage. */
function project(): Project {
  const dir = tempDir('rehearse-cache-cli-');
  mkdirSync(join(dir, 'bots'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'cache-cli', private: true, type: 'module' }));
  writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'], cache: { path: 'cache/rehearse.sqlite' } }));
  writeFileSync(
    join(dir, 'bots/alpha.ts'),
    `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';\nexport const alpha = defineBot({ key: 'alpha-bot', version: 'v2', run: () => 'alpha' });\n`,
  );
  const cachePath = join(dir, 'cache/rehearse.sqlite');
  const statePath = join(dir, '.rehearse/state.sqlite');
  const rows = seedCache(cachePath, Object.values(seeds));
  const keys = Object.fromEntries(Object.keys(seeds).map((name, index) => [name, rows[index]!.key])) as Record<SeedName, string>;
  recordCacheHits(statePath, cachePath, 'default', new Map([[keys.oldUsed, 3]]), new Date(now - 2 * day));
  recordCacheHits(statePath, cachePath, 'default', new Map([[keys.fresh, 5]]), new Date(now));
  recordCacheHits(statePath, cachePath, 'acme', new Map([[keys.acme, 7]]), new Date(now));
  closeStateDatabase(statePath);
  return {
    dir,
    cachePath,
    statePath,
    keys,
    run: (args, stdin) => rehearse(['cache', ...args], { cwd: dir, env: { REHEARSE_STATE: statePath }, ...(stdin !== undefined && { stdin }) }),
  };
}

function json<T>(result: CliRun): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function storedKeys(cachePath: string, org: string): string[] {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare<[string], { key: string }>('SELECT key FROM entries WHERE org = ? ORDER BY key').all(org).map((row) => row.key);
  } finally {
    db.close();
  }
}

/** The cache left as a committed file should be: no sidecar files, a rollback journal (header bytes 18-19 are 1, not WAL's 2). */
function expectCommittable(cachePath: string): void {
  expect(readdirSync(join(cachePath, '..')).filter((name) => /-(wal|shm|journal)$/.test(name))).toEqual([]);
  const header = readFileSync(cachePath).subarray(18, 20);
  expect([...header]).toEqual([1, 1]);
}

const sorted = (keys: string[]) => [...keys].sort();

interface ListJson {
  org: string;
  count: number;
  entries: Array<{ key: string; bot_id: string; bot_version: string; current_version?: string; hits: number; last_used_at: string | null }>;
  bots_not_found?: Array<{ bot_id: string; entries: number }>;
}

describe('rehearse cache stats', () => {
  it('counts entries, size, hits, recorded cost and cost saved, by bot and by action type, for one org', async () => {
    const p = project();
    const stats = json<{
      org: string;
      exists: boolean;
      file_bytes: number;
      entries: number;
      used: number;
      bytes: number;
      hits: number;
      cost_usd: number;
      saved_cost_usd: number;
      by_bot: Array<{ bot_id: string; entries: number; hits: number; saved_cost_usd: number }>;
      by_action: Array<{ action_type: string; entries: number; hits: number }>;
    }>(await p.run(['stats', '--format', 'json']));
    expect(stats).toMatchObject({ org: 'default', exists: true, entries: 5, used: 2, hits: 8 });
    expect(stats.file_bytes).toBe(readFileSync(p.cachePath).length);
    expect(stats.bytes).toBeGreaterThan(0);
    expect(stats.cost_usd).toBeCloseTo(0.01 + 0.02 + 0.03 + 0 + 0.005, 10);
    expect(stats.saved_cost_usd).toBeCloseTo(3 * 0.01 + 5 * 0.03, 10);
    expect(stats.by_bot.map((group) => [group.bot_id, group.entries, group.hits])).toEqual([
      ['alpha-bot', 4, 8],
      ['ghost-bot', 1, 0],
    ]);
    expect(stats.by_action.map((group) => [group.action_type, group.entries, group.hits])).toEqual([
      ['codeexec.run', 1, 0],
      ['llm.message', 4, 8],
    ]);

    const acme = json<{ entries: number; hits: number; saved_cost_usd: number }>(await p.run(['stats', '--org', 'acme', '--format', 'json']));
    expect(acme).toMatchObject({ entries: 1, hits: 7 });
    expect(acme.saved_cost_usd).toBeCloseTo(3.5, 10);

    const text = await p.run(['stats']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Cache ${p.cachePath} (org default)`);
    expect(text.stdout).toMatch(/By bot\n.*BOT/);
    expect(text.stdout).toMatch(/alpha-bot +4 +2 +.* +8 +\$0\.0600 +\$0\.1800/);
    expect(text.stdout).toMatch(/By action type\n.*ACTION/);
  });

  it('says so when there is no cache file yet, and REHEARSE_ORG picks the org', async () => {
    const p = project();
    const missing = await p.run(['stats', '--cache', 'nowhere.sqlite']);
    expect(missing.code).toBe(0);
    expect(missing.stdout).toContain('nothing recorded yet');
    const viaEnv = await rehearse(['cache', 'stats', '--format', 'json'], { cwd: p.dir, env: { REHEARSE_STATE: p.statePath, REHEARSE_ORG: 'acme' } });
    expect(json<{ org: string; entries: number }>(viaEnv)).toMatchObject({ org: 'acme', entries: 1 });
  });
});

describe('rehearse cache ls', () => {
  it('lists every entry of the org with its usage, and each filter narrows it', async () => {
    const p = project();
    const { keys } = p;
    const list = async (...args: string[]) => json<ListJson>(await p.run(['ls', '--format', 'json', ...args]));

    const all = await list();
    expect(all.count).toBe(5);
    expect(sorted(all.entries.map((entry) => entry.key))).toEqual(sorted([keys.oldUsed, keys.oldUnused, keys.fresh, keys.freshCode, keys.ghost]));
    const used = all.entries.find((entry) => entry.key === keys.oldUsed)!;
    expect(used.hits).toBe(3);
    expect(used.last_used_at).toBe(ago(2 * day));
    expect(all.entries.find((entry) => entry.key === keys.ghost)).toMatchObject({ hits: 0, last_used_at: null });

    expect((await list('--bot', 'ghost-bot')).entries.map((entry) => entry.key)).toEqual([keys.ghost]);
    expect((await list('--action', 'codeexec.run')).entries.map((entry) => entry.key)).toEqual([keys.freshCode]);
    expect(sorted((await list('--older-than', '30d')).entries.map((entry) => entry.key))).toEqual(sorted([keys.oldUsed, keys.oldUnused]));
    const fiveDaysAgo = ago(5 * day).slice(0, 10);
    expect(sorted((await list('--older-than', fiveDaysAgo)).entries.map((entry) => entry.key))).toEqual(sorted([keys.oldUsed, keys.oldUnused, keys.ghost]));
    // Not replayed for a week: never-hit entries count from when they were recorded.
    expect(sorted((await list('--unused-since', '7d')).entries.map((entry) => entry.key))).toEqual(sorted([keys.oldUnused, keys.ghost]));
    expect((await list('--unused-since', '7d', '--bot', 'alpha-bot')).entries.map((entry) => entry.key)).toEqual([keys.oldUnused]);
    expect((await list('--org', 'acme')).entries.map((entry) => entry.key)).toEqual([keys.acme]);
  });

  it('--stale lists entries of an older version of their bot, and reports bots it could not find instead of calling them stale', async () => {
    const p = project();
    const stale = json<ListJson>(await p.run(['ls', '--stale', '--format', 'json']));
    expect(sorted(stale.entries.map((entry) => entry.key))).toEqual(sorted([p.keys.oldUsed, p.keys.oldUnused]));
    expect(stale.entries.every((entry) => entry.bot_version === 'v1' && entry.current_version === 'v2')).toBe(true);
    expect(stale.bots_not_found).toEqual([{ bot_id: 'ghost-bot', entries: 1 }]);

    const text = await p.run(['ls', '--stale']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/KEY +BOT +VERSION +CURRENT/);
    expect(text.stdout).toContain('2 entries (org default, stale)');
    expect(text.stdout).toContain('Not checked for staleness: 1 entry of bots not found through "bots"');
    expect(text.stdout).toContain('ghost-bot (1)');
  });

  it('prints a table, and refuses a filter time that is neither a duration nor a date (exit 2)', async () => {
    const p = project();
    const text = await p.run(['ls', '--bot', 'alpha-bot']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^KEY +BOT +VERSION +ACTION +OCC +RECORDED \(UTC\) +SIZE +COST +HITS +LAST HIT \(UTC\)/);
    expect(text.stdout).toContain(p.keys.fresh.slice(0, 12));
    expect(text.stdout).toContain('4 entries (org default, bot alpha-bot)');

    const bad = await p.run(['ls', '--older-than', 'last tuesday']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--older-than "last tuesday" is neither a duration nor a date');
  });
});

describe('rehearse cache show', () => {
  it('prints one entry whole by a prefix of its key, params and output pretty-printed', async () => {
    const p = project();
    const text = await p.run(['show', p.keys.oldUsed.slice(0, 10)]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Entry ${p.keys.oldUsed}`);
    expect(text.stdout).toContain('bot         alpha-bot (version v1)');
    expect(text.stdout).toContain('hits        3, last');
    expect(text.stdout).toContain('params\n{\n  "q": "old, replayed lately"\n}');
    expect(text.stdout).toContain('output\n{\n  "content": "hi"\n}');

    const shown = json<{ key: string; params: unknown; output: unknown; hits: number; org: string }>(await p.run(['show', p.keys.acme, '--org', 'acme', '--format', 'json']));
    expect(shown).toMatchObject({ key: p.keys.acme, org: 'acme', params: { q: 'acme, old' }, output: { content: 'hi' }, hits: 7 });
  });

  it('lists the matches of an ambiguous prefix (exit 2); an unknown prefix is not found (exit 1), also in another org', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    // 17 keys: at least two share their first hex digit.
    const rows = seedCache(
      cachePath,
      Array.from({ length: 17 }, (_, index) => ({ params: { index } })),
    );
    const byDigit = new Map<string, string[]>();
    for (const row of rows) byDigit.set(row.key[0]!, [...(byDigit.get(row.key[0]!) ?? []), row.key]);
    const [digit, shared] = [...byDigit].find(([, keys]) => keys.length > 1)!;
    const ambiguous = await rehearse(['cache', 'show', digit, '--cache', cachePath]);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.stderr).toContain(`The key prefix "${digit}" is ambiguous: ${shared.length} entries of org default match.`);
    for (const key of shared) expect(ambiguous.stderr).toContain(key);
    expect(ambiguous.stderr).toContain('Give more characters of the key.');

    const absent = '0123456789abcdef'.split('').find((candidate) => !byDigit.has(candidate));
    if (absent) expect((await rehearse(['cache', 'show', absent, '--cache', cachePath])).code).toBe(1);
    const otherOrg = await rehearse(['cache', 'show', rows[0]!.key, '--cache', cachePath, '--org', 'acme']);
    expect(otherOrg.code).toBe(1);
    expect(otherOrg.stderr).toContain('No entry of org acme has a key starting');
    const notHex = await rehearse(['cache', 'show', 'xyz', '--cache', cachePath]);
    expect(notHex.code).toBe(2);
  });
});

describe('rehearse cache clear and prune', () => {
  it('--dry-run prints what would go and deletes nothing', async () => {
    const p = project();
    const before = fileHash(p.cachePath);
    const text = await p.run(['prune', '--stale', '--dry-run']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain(`Would delete: 2 entries (org default, stale) from ${p.cachePath}`);
    expect(text.stdout).toContain(p.keys.oldUsed.slice(0, 12));
    expect(text.stdout).toContain(p.keys.oldUnused.slice(0, 12));
    expect(text.stdout).toContain('Dry run: nothing deleted.');
    const dry = json<{ dry_run: boolean; matched: number; deleted: number; entries: Array<{ key: string }> }>(await p.run(['clear', '--dry-run', '--format', 'json']));
    expect(dry).toMatchObject({ dry_run: true, matched: 5, deleted: 0 });
    expect(fileHash(p.cachePath)).toBe(before);
  });

  it('refuses without a terminal to ask and without --yes (exit 2); prune refuses to run without a filter', async () => {
    const p = project();
    const before = fileHash(p.cachePath);
    const refused = await p.run(['clear', '--bot', 'ghost-bot'], '');
    expect(refused.code).toBe(2);
    expect(refused.stdout).toContain('To delete: 1 entry (org default, bot ghost-bot)');
    expect(refused.stderr).toContain('Not deleting 1 entry without confirmation: stdin is not a terminal');
    expect(refused.stderr).toContain('Pass --yes');
    const unfiltered = await p.run(['prune', '--yes']);
    expect(unfiltered.code).toBe(2);
    expect(unfiltered.stderr).toContain('cache prune needs at least one filter');
    expect(fileHash(p.cachePath)).toBe(before);
  });

  it('prune --yes deletes the matches of this org only, writes the file as a recording does, and forgets their usage', async () => {
    const p = project();
    const pruned = json<{ matched: number; deleted: number }>(await p.run(['prune', '--stale', '--yes', '--format', 'json']));
    expect(pruned).toMatchObject({ matched: 2, deleted: 2 });
    expect(storedKeys(p.cachePath, 'default')).toEqual(sorted([p.keys.fresh, p.keys.freshCode, p.keys.ghost]));
    expect(storedKeys(p.cachePath, 'acme')).toEqual([p.keys.acme]); // stale too, but another org
    expectCommittable(p.cachePath);
    const usage = readCacheUsage(p.statePath, p.cachePath, 'default');
    expect(usage.has(p.keys.oldUsed)).toBe(false);
    expect(usage.get(p.keys.fresh)?.hits).toBe(5);
    expect(readCacheUsage(p.statePath, p.cachePath, 'acme').get(p.keys.acme)?.hits).toBe(7);
    expect((await p.run(['verify'])).code).toBe(0);

    const unused = await p.run(['prune', '--unused-since', '7d', '--yes']);
    expect(unused.code).toBe(0);
    expect(unused.stdout).toContain('Deleted 1 entry (org default)');
    expect(storedKeys(p.cachePath, 'default')).toEqual(sorted([p.keys.fresh, p.keys.freshCode]));
    const nothing = await p.run(['prune', '--older-than', '30d', '--yes']);
    expect(nothing.stdout).toContain('Nothing to delete: no entries match');
  });

  it('clear empties one org and leaves the others', async () => {
    const p = project();
    const acme = await p.run(['clear', '--org', 'acme', '--yes']);
    expect(acme.code).toBe(0);
    expect(storedKeys(p.cachePath, 'acme')).toEqual([]);
    expect(storedKeys(p.cachePath, 'default')).toHaveLength(5);
    expect(json<{ deleted: number }>(await p.run(['clear', '--yes', '--format', 'json'])).deleted).toBe(5);
    expect(storedKeys(p.cachePath, 'default')).toEqual([]);
    expectCommittable(p.cachePath);
    expect(readCacheUsage(p.statePath, p.cachePath, 'default').size).toBe(0);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('asks on a terminal: no keeps everything (exit 1), y deletes', async () => {
    const p = project();
    const command = `${process.execPath} ${join(repoRoot, 'bin/rehearse.js')} cache clear --bot ghost-bot`;
    const ask = (answer: string) =>
      spawnSync('script', ['-qec', command, '/dev/null'], { cwd: p.dir, input: answer, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: p.dir, REHEARSE_STATE: p.statePath } });
    const no = ask('n\n');
    expect(no.stdout).toContain('Delete 1 entry from');
    expect(no.stdout).toContain('[y/N]');
    expect(no.stdout).toContain('Nothing deleted.');
    expect(no.status).toBe(1);
    expect(storedKeys(p.cachePath, 'default')).toContain(p.keys.ghost);
    const yes = ask('y\n');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('Deleted 1 entry');
    expect(storedKeys(p.cachePath, 'default')).not.toContain(p.keys.ghost);
  });
});

describe('confirmation and progress', () => {
  it('confirm: only y or yes is a yes; end of input is a no', async () => {
    const ask = async (input: string | null) => {
      const stdin = new PassThrough();
      const stderr = new PassThrough();
      const answer = confirm('Delete? [y/N] ', stdin, stderr);
      if (input === null) stdin.end();
      else stdin.write(input);
      return answer;
    };
    expect(await ask('y\n')).toBe(true);
    expect(await ask('YES\n')).toBe(true);
    expect(await ask('n\n')).toBe(false);
    expect(await ask('\n')).toBe(false);
    expect(await ask(null)).toBe(false);
    expect(canAsk({ isTTY: true })).toBe(true);
    expect(canAsk({})).toBe(false);
  });

  it('draws a bar only on a terminal and only past 2,000 rows, and clears it when done', () => {
    const written: string[] = [];
    let clock = 0;
    const tty = { isTTY: true, columns: 80, write: (text: string) => (written.push(text), true) };
    const bar = progressBar('Exporting', { stream: tty, now: () => (clock += 50) });
    for (let done = 0; done <= 10_000; done += 1000) bar.update(done, 10_000);
    bar.finish();
    expect(written.length).toBeGreaterThan(1);
    expect(written.length).toBeLessThan(12); // redrawn at most every 100 ms
    expect(written.at(-2)).toMatch(/^\rExporting \[#+\] 100% 10,000\/10,000\x1b\[K$/);
    expect(written.at(-1)).toBe('\r\x1b[K');

    written.length = 0;
    const small = progressBar('Exporting', { stream: tty });
    small.update(1500, 1500);
    small.finish();
    expect(written).toEqual([]);

    const pipe = { isTTY: false, write: (text: string) => (written.push(text), true) };
    const none = progressBar('Exporting', { stream: pipe });
    none.update(5000, 10_000);
    none.finish();
    expect(written).toEqual([]);
  });

  it.skipIf(spawnSync('script', ['--version']).status !== 0)('shows the bar on stderr when it is a terminal, never in a pipe', async () => {
    const dir = tempDir();
    const cachePath = join(dir, 'cache.sqlite');
    seedCache(cachePath, Array.from({ length: 3000 }, (_, index) => ({ params: { index, text: 'x'.repeat(200) } })));
    const out = join(dir, 'export.jsonl');
    const command = `${process.execPath} ${join(repoRoot, 'bin/rehearse.js')} cache export ${out} --cache ${cachePath}`;
    const tty = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, REHEARSE_STATE: join(dir, 'state.sqlite') } });
    expect(tty.status).toBe(0);
    expect(tty.stdout).toMatch(/\rExporting \[[#-]+\] +\d+% [\d,]+\/3,000/);
    const piped = await rehearse(['cache', 'export', out, '--cache', cachePath]);
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
  });
});
