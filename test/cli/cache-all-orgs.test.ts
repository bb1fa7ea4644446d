/**
 * `--all-orgs` on `rehearse cache ls|stats|export|verify|prune|clear`, end to end: the built CLI as a
 * child process on a cache whose recordings sit in several orgs and none in `default` (what
 * `isolate({ org: true })` leaves), checked on the file itself. Without --all-orgs a command that
 * finds nothing in its org says what the other orgs hold.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readCacheUsage, recordCacheHits } from '../../src/state/cache-usage.js';
import { closeStateDatabase } from '../../src/state/database.js';
import { seedCache, type SeedEntry } from '../support/cache-seed.js';
import { rehearse, repoRoot, type CliRun } from '../support/cli.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});
afterEach(() => closeStateDatabase());

/**
 * Five entries in three orgs, none in default. alpha-bot's current version is v2, so the v1 entries
 * (one in org-a, one in org-c) are stale. `shared` is the same recording in org-a and org-b: the same
 * key, with its own hits in each org (4 and 9).
 */
const seeds = {
  sharedA: { org: 'org-a', bot: 'alpha-bot', version: 'v2', params: { q: 'shared' }, cost: 0.01 },
  staleA: { org: 'org-a', bot: 'alpha-bot', version: 'v1', params: { q: 'old a' }, cost: 0.02 },
  sharedB: { org: 'org-b', bot: 'alpha-bot', version: 'v2', params: { q: 'shared' }, cost: 0.01 },
  staleC: { org: 'org-c', bot: 'alpha-bot', version: 'v1', params: { q: 'old c' }, cost: 0.04 },
  freshC: { org: 'org-c', bot: 'alpha-bot', version: 'v2', params: { q: 'new c' }, cost: 0.05 },
} satisfies Record<string, SeedEntry>;
type SeedName = keyof typeof seeds;

interface Project {
  dir: string;
  cachePath: string;
  statePath: string;
  keys: Record<SeedName, string>;
  run(args: string[]): Promise<CliRun>;
}

function project(): Project {
  const dir = tempDir('rehearse-all-orgs-');
  mkdirSync(join(dir, 'bots'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'all-orgs', private: true, type: 'module' }));
  writeFileSync(join(dir, 'rehearse.config.json'), JSON.stringify({ bots: ['bots/*.ts'] }));
  writeFileSync(
    join(dir, 'bots/alpha.ts'),
    `import { defineBot } from '${join(repoRoot, 'dist/index.js')}';\nexport const alpha = defineBot({ key: 'alpha-bot', version: 'v2', run: () => 'alpha' });\n`,
  );
  const cachePath = join(dir, 'cache/rehearse.sqlite');
  const statePath = join(dir, '.rehearse/state.sqlite');
  const rows = seedCache(cachePath, Object.values(seeds));
  const keys = Object.fromEntries(Object.keys(seeds).map((name, index) => [name, rows[index]!.key])) as Record<SeedName, string>;
  recordCacheHits(statePath, cachePath, 'org-a', new Map([[keys.sharedA, 4]]));
  recordCacheHits(statePath, cachePath, 'org-b', new Map([[keys.sharedB, 9]]));
  recordCacheHits(statePath, cachePath, 'org-c', new Map([[keys.staleC, 2]]));
  closeStateDatabase(statePath);
  return { dir, cachePath, statePath, keys, run: (args) => rehearse(['cache', ...args], { cwd: dir, env: { REHEARSE_STATE: statePath } }) };
}

function json<T>(result: CliRun): T {
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as T;
}

/** Every (org, key) in the file, sorted. */
function stored(cachePath: string): string[] {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare<[], { id: string }>("SELECT org || '/' || key AS id FROM entries ORDER BY org, key").all().map((row) => row.id);
  } finally {
    db.close();
  }
}

const id = (p: Project, name: SeedName) => `${seeds[name].org}/${p.keys[name]}`;

interface ListJson {
  org: string | null;
  orgs?: number;
  count: number;
  entries: Array<{ org: string; key: string; hits: number }>;
  other_orgs?: { entries: number; orgs: number };
}

describe('--all-orgs', () => {
  it('ls lists every org with each entry\'s org and its own usage; without it, an empty org says what the others hold', async () => {
    const p = project();
    const all = json<ListJson>(await p.run(['ls', '--all-orgs', '--format', 'json']));
    expect(all).toMatchObject({ org: null, orgs: 3, count: 5 });
    expect(all.entries.map((entry) => `${entry.org}/${entry.key}`).sort()).toEqual(stored(p.cachePath));
    // The same key in two orgs keeps each org's hits.
    expect(all.entries.filter((entry) => entry.key === p.keys.sharedA).map((entry) => [entry.org, entry.hits])).toEqual([
      ['org-a', 4],
      ['org-b', 9],
    ]);

    const text = await p.run(['ls', '--all-orgs']);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ORG +KEY +BOT/);
    for (const org of ['org-a', 'org-b', 'org-c']) expect(text.stdout).toMatch(new RegExp(`^${org} +[0-9a-f]{12} +alpha-bot`, 'm'));
    expect(text.stdout).toContain('5 entries in 3 orgs (every org).');

    const stale = json<ListJson>(await p.run(['ls', '--all-orgs', '--stale', '--format', 'json']));
    expect(stale.entries.map((entry) => `${entry.org}/${entry.key}`).sort()).toEqual([id(p, 'staleA'), id(p, 'staleC')].sort());

    const empty = await p.run(['ls']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('No entries match (org default).');
    expect(empty.stdout).toContain('0 entries in org default; 5 entries in 3 other orgs: add --all-orgs.');
    expect(json<ListJson>(await p.run(['ls', '--format', 'json'])).other_orgs).toEqual({ entries: 5, orgs: 3 });
    const emptyStale = await p.run(['ls', '--stale']);
    expect(emptyStale.stdout).toContain('None match in org default; 2 entries in 2 other orgs match: add --all-orgs.');
    // An org that holds entries lists them, with no word on the others.
    const one = await p.run(['ls', '--org', 'org-b']);
    expect(one.stdout).toContain('1 entry (org org-b).');
    expect(one.stdout).not.toMatch(/ORG|other org/);
  });

  it('stats adds a line per org; an empty org says what the others hold', async () => {
    const p = project();
    const stats = json<{ org: null; orgs: number; entries: number; hits: number; by_org: Array<{ org: string; entries: number; hits: number }> }>(
      await p.run(['stats', '--all-orgs', '--format', 'json']),
    );
    expect(stats).toMatchObject({ org: null, orgs: 3, entries: 5, hits: 15 });
    expect(stats.by_org.map((group) => [group.org, group.entries, group.hits])).toEqual([
      ['org-a', 2, 4],
      ['org-b', 1, 9],
      ['org-c', 2, 2],
    ]);
    const text = await p.run(['stats', '--all-orgs']);
    expect(text.stdout).toContain(`Cache ${p.cachePath} (every org: 3 orgs)`);
    expect(text.stdout).toMatch(/By org\n.*ORG +ENTRIES/);
    expect(text.stdout).toMatch(/^org-b +1 +1 /m);
    const empty = await p.run(['stats']);
    expect(empty.stdout).toContain('0 entries in org default; 5 entries in 3 other orgs: add --all-orgs.');
  });

  it('export writes every org\'s rows; without it, an empty org is said on stderr, not in the data', async () => {
    const p = project();
    const file = join(p.dir, 'all.jsonl');
    const written = await p.run(['export', file, '--all-orgs']);
    expect(written.code).toBe(0);
    expect(written.stdout).toContain(`Exported 5 entries of every org (3 orgs) from ${p.cachePath} to ${file}.`);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { org: string; key: string });
    expect(lines.map((line) => `${line.org}/${line.key}`).sort()).toEqual(stored(p.cachePath));

    const toStdout = await p.run(['export']);
    expect(toStdout.code).toBe(0);
    expect(toStdout.stdout).toBe('');
    expect(toStdout.stderr).toContain('0 entries in org default; 5 entries in 3 other orgs: add --all-orgs.');
    const all = await p.run(['export', '--all-orgs']);
    expect(all.stdout.trim().split('\n')).toHaveLength(5);
  });

  it('verify checks every org by default and says how many; --org narrows it', async () => {
    const p = project();
    const text = await p.run(['verify']);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('keys       5 recomputed (3 orgs)');
    const one = json<{ entries_checked: number; orgs_checked: number; other_orgs?: unknown }>(await p.run(['verify', '--org', 'org-c', '--format', 'json']));
    expect(one).toMatchObject({ entries_checked: 2, orgs_checked: 1 });
    expect(one.other_orgs).toBeUndefined();
    const empty = await p.run(['verify', '--org', 'default']);
    expect(empty.code).toBe(0);
    expect(empty.stdout).toContain('0 entries in org default; 5 entries in 3 other orgs: use --all-orgs instead of --org.');
  });

  it('prune --all-orgs deletes the matches of every org, says how many orgs, and forgets their usage', async () => {
    const p = project();
    const none = await p.run(['prune', '--stale', '--yes']);
    expect(none.stdout).toContain('None match in org default; 2 entries in 2 other orgs match: add --all-orgs.');
    expect(stored(p.cachePath)).toHaveLength(5);

    const dry = await p.run(['prune', '--stale', '--all-orgs', '--dry-run']);
    expect(dry.stdout).toContain('Would delete: 2 entries in 2 orgs (every org, stale)');
    expect(dry.stdout).toMatch(/^org-a +[0-9a-f]{12} +alpha-bot +v1 +v2/m);
    // Not on a terminal and no --yes: it refuses, as prune does for one org.
    const refused = await p.run(['prune', '--stale', '--all-orgs']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('Not deleting 2 entries in 2 orgs without confirmation');
    expect(stored(p.cachePath)).toHaveLength(5);

    const pruned = await p.run(['prune', '--stale', '--all-orgs', '--yes']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain('Deleted 2 entries (2 orgs)');
    expect(stored(p.cachePath)).toEqual([id(p, 'sharedA'), id(p, 'sharedB'), id(p, 'freshC')].sort());
    expect(readCacheUsage(p.statePath, p.cachePath, 'org-c').size).toBe(0);
    expect(readCacheUsage(p.statePath, p.cachePath, 'org-b').get(p.keys.sharedB)?.hits).toBe(9);
  });

  it('clear --all-orgs empties every org (after confirming); --org beside it is refused', async () => {
    const p = project();
    const both = await p.run(['clear', '--all-orgs', '--org', 'org-a', '--yes']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--all-orgs and --org org-a ask for different scopes.');
    expect(stored(p.cachePath)).toHaveLength(5);

    const bot = json<{ org: null; orgs: number; deleted: number }>(await p.run(['clear', '--all-orgs', '--bot', 'alpha-bot', '--action', 'llm.message', '--yes', '--format', 'json']));
    expect(bot).toMatchObject({ org: null, orgs: 3, deleted: 5 });
    expect(stored(p.cachePath)).toEqual([]);
  });

  const hasScript = spawnSync('script', ['--version']).status === 0;
  it.skipIf(!hasScript)('clear --all-orgs asks on a terminal, naming how many orgs', async () => {
    const p = project();
    const command = `${process.execPath} ${join(repoRoot, 'bin/rehearse.js')} cache clear --all-orgs`;
    const ask = (answer: string) =>
      spawnSync('script', ['-qec', command, '/dev/null'], { cwd: p.dir, input: answer, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: p.dir, REHEARSE_STATE: p.statePath } });
    const no = ask('n\n');
    expect(no.stdout).toContain('Delete 5 entries in 3 orgs from');
    expect(no.status).toBe(1);
    expect(stored(p.cachePath)).toHaveLength(5);
    const yes = ask('y\n');
    expect(yes.status).toBe(0);
    expect(yes.stdout).toContain('Deleted 5 entries (3 orgs)');
    expect(stored(p.cachePath)).toEqual([]);
  });
});
