/**
 * Recordings as text for review: `rehearse cache text` (git's textconv) prints every entry of every
 * org in a stable order and form, and `rehearse cache diff [<ref>]` compares the working tree's cache
 * with a committed one, by bot and action, as text, JSON and Markdown. Real files, real git, the
 * built CLI.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { cacheRow, writeRows, type SeedEntry } from '../support/cache-seed.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { commitAll, git, gitTestEnv, tempRepo } from '../support/git-repo.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
});

function writeCache(file: string, entries: readonly SeedEntry[]): void {
  rmSync(file, { force: true });
  writeRows(file, entries.map(cacheRow));
}

describe('rehearse cache text', () => {
  const plain: SeedEntry = { bot: 'alpha-bot', params: { q: 'short' }, createdAt: '2026-01-02T03:04:05.678Z' };
  const long: SeedEntry = {
    bot: 'beta-bot',
    params: { model: 'gpt-4o-mini', messages: [{ role: 'system', content: 'Answer in two lines.' }, { role: 'user', content: 'Where is my parcel? It has been a week and nobody answers my emails, my calls or my letters.' }] },
    output: { content: 'It left the depot on Monday.\nIt should arrive by Friday.\n', tool_calls: [] },
    deltas: [{ text: 'It left' }, { text: ' the depot' }],
    redacted: 1,
  };
  const broken: SeedEntry = { bot: 'beta-bot', params: { q: 'broken' }, outputText: 'not json', usage: null };
  const acme: SeedEntry = { org: 'acme', bot: 'zeta-bot', params: { q: 'acme' } };

  it('prints every entry of every org, sorted, the same whatever order they were written in', async () => {
    const dir = tempDir();
    const [first, second] = [join(dir, 'one.sqlite'), join(dir, 'two.sqlite')];
    writeCache(first, [plain, long, broken, acme]);
    writeCache(second, [broken, acme, long, plain]);
    const [one, two] = await Promise.all([rehearse(['cache', 'text', first]), rehearse(['cache', 'text', second])]);
    expect(one.code, one.stderr).toBe(0);
    expect(two.stdout).toBe(one.stdout);

    const [plainKey, longKey, brokenKey, acmeKey] = [plain, long, broken, acme].map((entry) => cacheRow(entry).key);
    const beta = [
      { key: longKey, text: longText(longKey!) },
      { key: brokenKey, text: brokenText(brokenKey!) },
    ].sort((x, y) => (x.key! < y.key! ? -1 : 1));
    expect(one.stdout).toBe(
      [
        `entry acme / zeta-bot / llm.message / ${acmeKey}
  version v1, occurrence 0, success, recorded 2026-01-01T00:00:00.000Z, cost $0.001, 120 ms
  params: {"q":"acme"}
  output: {"content":"hi"}
  usage: {"input_tokens":10,"output_tokens":2}
`,
        `entry default / alpha-bot / llm.message / ${plainKey}
  version v1, occurrence 0, success, recorded 2026-01-02T03:04:05.678Z, cost $0.001, 120 ms
  params: {"q":"short"}
  output: {"content":"hi"}
  usage: {"input_tokens":10,"output_tokens":2}
`,
        ...beta.map((entry) => entry.text),
      ].join('\n'),
    );
  });

  /** A long request opens up a member a line (a list item's first member after its dash); a multi-line answer is a block of its lines, kept whole. */
  function longText(key: string): string {
    return `entry default / beta-bot / llm.message / ${key}
  version v1, occurrence 0, success, recorded 2026-01-01T00:00:00.000Z, cost $0.001, 120 ms, secrets redacted
  params:
    messages:
      - {"content":"Answer in two lines.","role":"system"}
      - content: "Where is my parcel? It has been a week and nobody answers my emails, my calls or my letters."
        role: "user"
    model: "gpt-4o-mini"
  output:
    content: |
      It left the depot on Monday.
      It should arrive by Friday.
    tool_calls: []
  usage: {"input_tokens":10,"output_tokens":2}
  deltas: 2 streamed pieces, sha256 ${sha256Prefix('[{"text":"It left"},{"text":" the depot"}]')}
`;
  }

  function brokenText(key: string): string {
    return `entry default / beta-bot / llm.message / ${key}
  version v1, occurrence 0, success, recorded 2026-01-01T00:00:00.000Z, cost $0.001, 120 ms
  params: {"q":"broken"}
  output (not JSON): "not json"
`;
  }

  it('says what is wrong with a file that is not a cache, or is missing', async () => {
    const dir = tempDir();
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'these are notes, not recordings: long enough to fill a SQLite header of 100 bytes, as a cache would.\n');
    const notCache = await rehearse(['cache', 'text', text]);
    expect(notCache.code).toBe(1);
    expect(notCache.stderr).toContain(`Cannot use the cache file ${text}: it is not a SQLite database`);
    const missing = await rehearse(['cache', 'text', join(dir, 'none.sqlite')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`No cache file at ${join(dir, 'none.sqlite')}.`);
  });
});

function sha256Prefix(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

describe('rehearse cache diff', () => {
  const a: SeedEntry = { bot: 'alpha-bot', params: { q: 'a' } };
  const b: SeedEntry = { bot: 'alpha-bot', params: { q: 'b' }, output: { content: 'beta before' } };
  const c: SeedEntry = { bot: 'beta-bot', action: 'codeexec.run', params: { code: 'print(1)' }, output: { stdout: '1\n' } };
  const acmeA: SeedEntry = { ...a, org: 'acme' };
  const acmeD: SeedEntry = { org: 'acme', bot: 'delta-bot', params: { q: 'd' } };
  const changedB: SeedEntry = { ...b, output: { content: 'beta after | *new*' }, createdAt: '2026-04-01T10:00:00.000Z' };
  const addedE: SeedEntry = { bot: 'alpha-bot', params: { q: 'e' }, output: { content: 'a new answer' } };
  const addedF: SeedEntry = { org: 'acme', bot: 'delta-bot', params: { q: 'f' } };

  /** A repository whose HEAD holds [a, b, c, acme a, acme d] and whose working tree changed b, added e and acme f, removed c and acme a. */
  function changedRepo(): string {
    const root = tempRepo();
    writeFileSync(join(root, 'rehearse.config.json'), JSON.stringify({ cache: { path: 'cache/rehearse.sqlite' } }));
    writeCache(join(root, 'cache/rehearse.sqlite'), [a, b, c, acmeA, acmeD]);
    commitAll(root, 'recordings');
    writeCache(join(root, 'cache/rehearse.sqlite'), [a, changedB, addedE, acmeD, addedF]);
    return root;
  }

  const diff = (root: string, ...args: string[]) => rehearse(['cache', 'diff', ...args], { cwd: root, env: gitTestEnv });
  const short = (entry: SeedEntry) => cacheRow(entry).key.slice(0, 12);

  it('prints what the working tree added, changed and removed against HEAD, by bot and action, for the org', async () => {
    const root = changedRepo();
    const before = createHash('sha256').update(readFileSync(join(root, 'cache/rehearse.sqlite'))).digest('hex');
    const run = await diff(root);
    expect(run.code, run.stderr).toBe(0);
    expect(createHash('sha256').update(readFileSync(join(root, 'cache/rehearse.sqlite'))).digest('hex')).toBe(before); // read, never written
    const alpha = [
      `  ~ ${short(b)}  default  version v1  #0  2026-04-01 10:00:00 [output, created_at]  "beta before" -> "beta after | *new*"`,
      `  + ${short(addedE)}  default  version v1  #0  2026-01-01 00:00:00  "a new answer"`,
    ].sort((x, y) => (x.slice(4) < y.slice(4) ? -1 : 1));
    expect(run.stdout.split('\n')).toEqual([
      'cache/rehearse.sqlite: the working tree against HEAD, org default',
      '1 added, 1 changed, 1 removed (1 unchanged)',
      '',
      'default / alpha-bot / llm.message: 1 added, 1 changed',
      ...alpha,
      '',
      'default / beta-bot / codeexec.run: 1 removed',
      `  - ${short(c)}  default  version v1  #0  2026-01-01 00:00:00  "{\\"stdout\\":\\"1\\\\n\\"}"`,
      '',
    ]);
  });

  it('--all-orgs --format json: every org, each entry naming its org', async () => {
    const root = changedRepo();
    const run = await diff(root, 'HEAD', '--all-orgs', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ cache: 'cache/rehearse.sqlite', ref: 'HEAD', org: null, working_tree_file: true, added: 2, changed: 1, removed: 2, unchanged: 2 });
    expect(report.groups.map((group: { org: string; bot_id: string; action_type: string; added: number; changed: number; removed: number }) => [group.org, group.bot_id, group.action_type, group.added, group.changed, group.removed])).toEqual([
      ['acme', 'alpha-bot', 'llm.message', 0, 0, 1],
      ['acme', 'delta-bot', 'llm.message', 1, 0, 0],
      ['default', 'alpha-bot', 'llm.message', 1, 1, 0],
      ['default', 'beta-bot', 'codeexec.run', 0, 0, 1],
    ]);
    const changed = report.groups[2].entries.find((entry: { change: string }) => entry.change === 'changed');
    expect(changed).toEqual({
      change: 'changed',
      org: 'default',
      key: cacheRow(b).key,
      bot_version: 'v1',
      occurrence: 0,
      created_at: '2026-04-01T10:00:00.000Z',
      changed_columns: ['output', 'created_at'],
      output_before: 'beta before',
      output: 'beta after | *new*',
    });
    expect(report.groups[0].entries).toEqual([
      { change: 'removed', org: 'acme', key: cacheRow(acmeA).key, bot_version: 'v1', occurrence: 0, created_at: '2026-01-01T00:00:00.000Z', output_before: 'hi' },
    ]);
  });

  it('--format markdown: a pull-request comment, with cells that markup in an answer cannot break', async () => {
    const root = changedRepo();
    const run = await diff(root, '--format', 'markdown', '--all-orgs');
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(0, 10)).toEqual([
      '### Recordings: 2 added, 1 changed, 2 removed',
      '',
      '`cache/rehearse.sqlite` in the working tree against `HEAD`, every org: 2 unchanged.',
      '',
      '| Org | Bot | Action | Added | Changed | Removed |',
      '|---|---|---|---:|---:|---:|',
      '| acme | alpha-bot | llm.message | 0 | 0 | 1 |',
      '| acme | delta-bot | llm.message | 1 | 0 | 0 |',
      '| default | alpha-bot | llm.message | 1 | 1 | 0 |',
      '| default | beta-bot | codeexec.run | 0 | 0 | 1 |',
    ]);
    expect(lines).toContain('<details><summary>default / alpha-bot / llm.message: 1 added, 1 changed</summary>');
    expect(lines).toContain(`| changed (output, created\\_at) | \`${short(b)}\` | default | v1 | 0 | 2026-04-01 10:00:00 | ~~beta before~~ → beta after \\| \\*new\\* |`);
    expect(lines.filter((line) => line === '</details>')).toHaveLength(4);
  });

  it('says so when nothing changed, and counts every entry removed when the working tree has no file', async () => {
    const root = changedRepo();
    git(root, 'checkout', '--', 'cache/rehearse.sqlite');
    const same = await diff(root);
    expect(same.code, same.stderr).toBe(0);
    expect(same.stdout).toBe('cache/rehearse.sqlite: the working tree against HEAD, org default\nNo changes (3 entries the same).\n');

    rmSync(join(root, 'cache/rehearse.sqlite'));
    const gone = await diff(root, '--format', 'json', '--all-orgs');
    expect(gone.code, gone.stderr).toBe(0);
    expect(JSON.parse(gone.stdout)).toMatchObject({ working_tree_file: false, added: 0, changed: 0, removed: 5, unchanged: 0 });
  });

  it('compares with any revision', async () => {
    const root = changedRepo();
    commitAll(root, 'second recordings');
    const run = await diff(root, 'HEAD~1', '--format', 'json');
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ref: 'HEAD~1', org: 'default', added: 1, changed: 1, removed: 1 });
    const none = await diff(root, 'HEAD', '--format', 'json');
    expect(JSON.parse(none.stdout)).toMatchObject({ added: 0, changed: 0, removed: 0, unchanged: 3 });
  });

  it('refuses, with exit 2, outside a git repository and in one without commits', async () => {
    const outside = tempDir();
    writeFileSync(join(outside, 'rehearse.config.json'), '{}');
    writeCache(join(outside, 'cache/rehearse.sqlite'), [a]);
    const noRepo = await diff(outside);
    expect(noRepo.code).toBe(2);
    expect(noRepo.stderr).toContain(`${join(outside, 'cache/rehearse.sqlite')} is not in a git repository`);
    expect(noRepo.stderr).toContain('Run it inside the repository that commits the cache');

    const root = tempRepo();
    writeFileSync(join(root, 'rehearse.config.json'), '{}');
    const empty = await diff(root);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('"HEAD" is not a commit of the repository');
  });

  it('refuses, with exit 2, a revision without the cache, one that is not a revision, and a format it does not know', async () => {
    const root = tempRepo();
    writeFileSync(join(root, 'rehearse.config.json'), '{}');
    commitAll(root, 'config only');
    writeCache(join(root, 'cache/rehearse.sqlite'), [a]);
    commitAll(root, 'first recordings');
    const before = await diff(root, 'HEAD~1');
    expect(before.code).toBe(2);
    expect(before.stderr).toContain('HEAD~1 has no cache/rehearse.sqlite: the cache was not committed there.');
    expect(before.stderr).toContain('git log --oneline -- cache/rehearse.sqlite');

    const bogus = await diff(root, 'no-such-branch');
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toContain('"no-such-branch" is not a commit of the repository');

    writeFileSync(join(root, 'cache/rehearse.sqlite'), 'the working tree\'s cache overwritten with text, long enough for a header...............\n');
    const damaged = await diff(root);
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toContain(`The cache at ${join(root, 'cache/rehearse.sqlite')} cannot be read. Cannot use the cache file`);

    const markup = await diff(root, '--format', 'yaml');
    expect(markup.code).toBe(2);
    expect(markup.stderr).toContain('Choices: "text", "json", "markdown"');
  });
});
