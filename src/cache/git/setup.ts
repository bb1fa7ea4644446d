import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UsageError } from '../../errors.js';
import { repositoryPathOf } from './revision.js';
import { runGit } from './run-git.js';

/** The name of the merge and diff drivers in .gitattributes and git config. */
export const driverName = 'rehearse-cache';

/** How git starts rehearse unless told otherwise: the project's own install. */
export const defaultGitCommand = 'npx rehearse';

export interface GitCacheOptions {
  /** The repository's working tree. */
  root: string;
  /** The committed cache file: absolute, or from the root. */
  cachePath: string;
  /** How git starts rehearse: `npx rehearse` unless given (a monorepo may need `npm exec -w app rehearse`). */
  command?: string;
}

export type GitSetupChange =
  | { kind: 'attributes'; file: string; line: string }
  | { kind: 'config'; key: string; value: string; previous: string | undefined };

/** The git config the drivers need, for a command that starts rehearse. */
export function driverConfig(command: string): Array<[key: string, value: string]> {
  return [
    [`merge.${driverName}.name`, 'rehearse cache: three-way merge of recordings by (org, key)'],
    [`merge.${driverName}.driver`, `${command} cache merge %O %A %B`],
    [`diff.${driverName}.textconv`, `${command} cache text`],
    // git keeps each blob's text (in refs/notes/textconv, never pushed): git log -p converts a version once, not on every run.
    [`diff.${driverName}.cachetextconv`, 'true'],
  ];
}

/** A path as a .gitattributes pattern that matches that file alone. */
function attributePattern(path: string): string {
  const escaped = path.replace(/[\\*?[]/g, (char) => `\\${char}`);
  const anchored = escaped.includes('/') ? escaped : `/${escaped}`; // a pattern without a slash matches at any depth
  return /[\s"]/.test(anchored) ? JSON.stringify(anchored) : anchored;
}

/** Whether git already gives the file both drivers, from any attributes file. */
function hasDriverAttributes(root: string, path: string): boolean {
  const check = runGit(root, ['check-attr', 'merge', 'diff', '--', path]);
  // Lines are "<path>: <attribute>: <value>"; the path may hold ": " itself, so read from the end.
  const values = new Map<string, string>();
  for (const line of check.stdout.split('\n')) {
    const match = /: (merge|diff): ([^:]*)$/.exec(line);
    if (match) values.set(match[1]!, match[2]!);
  }
  return check.ok && values.get('merge') === driverName && values.get('diff') === driverName;
}

/**
 * Makes git merge and diff the committed cache with rehearse: a `.gitattributes` line naming the
 * drivers for the cache file (added only when git does not already give it both; other lines stay),
 * and the drivers in the repository's own git config (set only where they differ). Running it again
 * changes nothing. Git config is not cloned, so every clone runs it once (`rehearse cache git-setup`).
 * Returns what it changed.
 */
export function configureGitForCache(options: GitCacheOptions): GitSetupChange[] {
  const command = options.command ?? defaultGitCommand;
  if (command.trim() === '') throw new UsageError('The command git starts rehearse with is empty.', { hint: `Leave it out for "${defaultGitCommand}", or name one such as "node_modules/.bin/rehearse".` });
  const location = repositoryPathOf(resolve(options.root, options.cachePath));
  if (location.root !== realpathSync(options.root)) {
    throw new UsageError(`${options.root} is not the top of its git repository (${location.root} is).`, { hint: 'Pass the folder that holds .git.' });
  }
  const changes: GitSetupChange[] = [];
  if (!hasDriverAttributes(location.root, location.path)) {
    const file = join(location.root, '.gitattributes');
    const line = `${attributePattern(location.path)} merge=${driverName} diff=${driverName}`;
    let text = '';
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    writeFileSync(file, `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`);
    changes.push({ kind: 'attributes', file, line });
  }
  for (const [key, value] of driverConfig(command)) {
    const current = runGit(location.root, ['config', '--local', '--get', key]);
    const previous = current.ok ? current.stdout.replace(/\n$/, '') : undefined;
    if (previous === value) continue;
    const set = runGit(location.root, ['config', '--local', key, value]);
    if (!set.ok) throw new UsageError(`git could not set ${key} in ${location.root}: ${set.problem}.`, { hint: 'Check that .git/config is writable.' });
    changes.push({ kind: 'config', key, value, previous });
  }
  return changes;
}

/** A change as one line for people: what `rehearse cache git-setup` and `rehearse init` print. */
export function describeGitSetupChange(change: GitSetupChange): string {
  if (change.kind === 'attributes') return `added to ${change.file}: ${change.line}`;
  return `git config ${change.key} "${change.value}"${change.previous === undefined ? '' : ` (was "${change.previous}")`}`;
}
