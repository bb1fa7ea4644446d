/**
 * configureGitForCache and `rehearse cache git-setup`: the .gitattributes line and the repository's
 * git config that make git merge and diff the committed cache with rehearse, written once (running
 * again changes nothing), keeping what was there; and this repository's own .gitattributes.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { configureGitForCache, describeGitSetupChange } from '../../src/cache/git/setup.js';
import { rehearse, repoRoot } from '../support/cli.js';
import { git, gitRun, gitTestEnv, tempRepo } from '../support/git-repo.js';
import { tempDir } from '../support/temp.js';

beforeAll(() => {
  if (!existsSync(join(repoRoot, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm run build` first.');
  // The function runs git in this process: the same isolation from the developer's git config as the repositories' own.
  Object.assign(process.env, gitTestEnv);
});

/** What git resolves for a file's merge and diff attributes. */
function attributes(root: string, path: string): string {
  return git(root, 'check-attr', 'merge', 'diff', '--', path);
}

const config = (root: string, key: string) => gitRun(root, 'config', '--local', '--get', key).stdout.trim();

describe('configureGitForCache', () => {
  it('adds the attributes line and the drivers, keeps the lines already there, and changes nothing the second time', () => {
    const root = tempRepo();
    writeFileSync(join(root, '.gitattributes'), '*.png binary\ncache/rehearse.sqlite -diff'); // no newline at the end
    const changes = configureGitForCache({ root, cachePath: 'cache/rehearse.sqlite' });
    expect(changes).toEqual([
      { kind: 'attributes', file: join(root, '.gitattributes'), line: 'cache/rehearse.sqlite merge=rehearse-cache diff=rehearse-cache' },
      { kind: 'config', key: 'merge.rehearse-cache.name', value: 'rehearse cache: three-way merge of recordings by (org, key)', previous: undefined },
      { kind: 'config', key: 'merge.rehearse-cache.driver', value: 'npx rehearse cache merge %O %A %B', previous: undefined },
      { kind: 'config', key: 'diff.rehearse-cache.textconv', value: 'npx rehearse cache text', previous: undefined },
      { kind: 'config', key: 'diff.rehearse-cache.cachetextconv', value: 'true', previous: undefined },
    ]);
    expect(readFileSync(join(root, '.gitattributes'), 'utf8')).toBe('*.png binary\ncache/rehearse.sqlite -diff\ncache/rehearse.sqlite merge=rehearse-cache diff=rehearse-cache\n');
    expect(attributes(root, 'cache/rehearse.sqlite')).toBe('cache/rehearse.sqlite: merge: rehearse-cache\ncache/rehearse.sqlite: diff: rehearse-cache\n');
    expect(config(root, 'merge.rehearse-cache.driver')).toBe('npx rehearse cache merge %O %A %B');
    expect(config(root, 'diff.rehearse-cache.textconv')).toBe('npx rehearse cache text');

    expect(configureGitForCache({ root, cachePath: join(root, 'cache/rehearse.sqlite') })).toEqual([]);
    expect(readFileSync(join(root, '.gitattributes'), 'utf8').match(/rehearse-cache/g)).toHaveLength(2);
  });

  it('changes only the drivers whose command differs, and says what they were', () => {
    const root = tempRepo();
    configureGitForCache({ root, cachePath: 'cache/rehearse.sqlite' });
    const changes = configureGitForCache({ root, cachePath: 'cache/rehearse.sqlite', command: 'node_modules/.bin/rehearse' });
    expect(changes.map(describeGitSetupChange)).toEqual([
      'git config merge.rehearse-cache.driver "node_modules/.bin/rehearse cache merge %O %A %B" (was "npx rehearse cache merge %O %A %B")',
      'git config diff.rehearse-cache.textconv "node_modules/.bin/rehearse cache text" (was "npx rehearse cache text")',
    ]);
  });

  it('matches the cache file alone, wherever it is and whatever its name holds', () => {
    const root = tempRepo();
    configureGitForCache({ root, cachePath: 'recordings.sqlite' });
    mkdirSync(join(root, 'sub'));
    expect(attributes(root, 'recordings.sqlite')).toContain('merge: rehearse-cache');
    expect(attributes(root, 'sub/recordings.sqlite')).toContain('merge: unspecified'); // anchored: not a namesake in a subfolder

    configureGitForCache({ root, cachePath: 'my cache/[team] *.sqlite' });
    expect(readFileSync(join(root, '.gitattributes'), 'utf8')).toContain('"my cache/\\\\[team] \\\\*.sqlite" merge=rehearse-cache diff=rehearse-cache');
    expect(attributes(root, 'my cache/[team] *.sqlite')).toContain('diff: rehearse-cache');
    expect(attributes(root, 'my cache/t *.sqlite')).toContain('diff: unspecified');
  });

  it('refuses a folder that is not the top of a git repository, and an empty command', () => {
    const outside = tempDir();
    expect(() => configureGitForCache({ root: outside, cachePath: 'cache/rehearse.sqlite' })).toThrow(/is not in a git repository/);
    const root = tempRepo();
    mkdirSync(join(root, 'app'));
    expect(() => configureGitForCache({ root: join(root, 'app'), cachePath: 'cache/rehearse.sqlite' })).toThrow(/is not the top of its git repository/);
    expect(() => configureGitForCache({ root, cachePath: 'cache/rehearse.sqlite', command: ' ' })).toThrow(/command git starts rehearse with is empty/);
  });
});

describe('rehearse cache git-setup', () => {
  it('sets a clone up for the configured cache, then says there is nothing to change', async () => {
    const root = tempRepo();
    writeFileSync(join(root, 'rehearse.config.json'), JSON.stringify({ cache: { path: 'fixtures/recordings.sqlite' } }));
    const first = await rehearse(['cache', 'git-setup'], { cwd: root, env: gitTestEnv });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout.split('\n')).toEqual([
      `git now merges and diffs ${join(root, 'fixtures/recordings.sqlite')} with rehearse (driver rehearse-cache):`,
      `  added to ${join(root, '.gitattributes')}: fixtures/recordings.sqlite merge=rehearse-cache diff=rehearse-cache`,
      '  git config merge.rehearse-cache.name "rehearse cache: three-way merge of recordings by (org, key)"',
      '  git config merge.rehearse-cache.driver "npx rehearse cache merge %O %A %B"',
      '  git config diff.rehearse-cache.textconv "npx rehearse cache text"',
      '  git config diff.rehearse-cache.cachetextconv "true"',
      '',
    ]);
    const second = await rehearse(['cache', 'git-setup', '--format', 'json'], { cwd: root, env: gitTestEnv });
    expect(JSON.parse(second.stdout)).toMatchObject({ driver: 'rehearse-cache', changes: [] });

    const outside = await rehearse(['cache', 'git-setup'], { cwd: tempDir(), env: gitTestEnv });
    expect(outside.code).toBe(2);
    expect(outside.stderr).toContain('is not in a git repository');
  });
});

describe('this repository', () => {
  it('commits the attributes that give its cache the drivers', () => {
    expect(attributes(repoRoot, 'cache/rehearse.sqlite')).toBe('cache/rehearse.sqlite: merge: rehearse-cache\ncache/rehearse.sqlite: diff: rehearse-cache\n');
    expect(git(repoRoot, 'ls-files', '.gitattributes')).toBe('.gitattributes\n');
  });
});
