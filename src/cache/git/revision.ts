import { closeSync, existsSync, mkdtempSync, openSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { UsageError } from '../../errors.js';
import { runGit } from './run-git.js';

/** Where a file sits in its git repository. */
export interface RepositoryPath {
  /** The repository's working tree. */
  root: string;
  /** The file's path from the root, with forward slashes, as git names it. */
  path: string;
}

/** The nearest folder of `path` that exists (a cache not recorded yet has no folder perhaps). */
function existingFolder(path: string): string {
  let folder = dirname(path);
  while (!existsSync(folder) && dirname(folder) !== folder) folder = dirname(folder);
  return folder;
}

/** The repository a file is in, or a usage error when it is in none. */
export function repositoryPathOf(file: string): RepositoryPath {
  const folder = existingFolder(file);
  const top = runGit(folder, ['rev-parse', '--show-toplevel']);
  if (!top.ok) {
    throw new UsageError(`${file} is not in a git repository (${top.problem}).`, {
      hint: 'Run it inside the repository that commits the cache, or point --cache at the cache file of one (git init creates a repository).',
    });
  }
  const root = realpathSync(top.stdout.trim());
  const path = relative(root, join(realpathSync(folder), relative(folder, file)));
  if (path.startsWith('..')) throw new UsageError(`${file} is outside its git repository ${root}.`, { hint: 'Point --cache at a file inside the repository.' });
  return { root, path: path.split(sep).join('/') };
}

/** A copy of a file as a commit holds it, in a temporary folder; remove() deletes it. */
export interface FileAtRevision {
  file: string;
  remove(): void;
}

/** Copies `path` as `ref` holds it (git cat-file) to a temporary file: a usage error when the ref is not a commit or holds no such file. */
export function fileAtRevision(location: RepositoryPath, ref: string): FileAtRevision {
  if (ref.startsWith('-') || ref.trim() === '') throw new UsageError(`"${ref}" is not a git revision.`, { hint: 'Name a commit, a branch or a tag: HEAD, main, HEAD~3, v1.2.0.' });
  const commit = runGit(location.root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`]);
  if (!commit.ok) {
    throw new UsageError(`"${ref}" is not a commit of the repository ${location.root}.`, { hint: 'Name a commit, a branch or a tag: HEAD, main, HEAD~3 (git log --oneline lists them). A repository without commits has no HEAD yet.' });
  }
  const object = `${commit.stdout.trim()}:${location.path}`;
  if (!runGit(location.root, ['cat-file', '-e', object]).ok) {
    throw new UsageError(`${ref} has no ${location.path}: the cache was not committed there.`, { hint: `Name a revision that holds it (git log --oneline -- ${location.path}), or commit the cache first.` });
  }
  const folder = mkdtempSync(join(tmpdir(), 'rehearse-revision-'));
  const file = join(folder, 'cache.sqlite');
  const remove = () => rmSync(folder, { recursive: true, force: true });
  const fd = openSync(file, 'w');
  try {
    const blob = runGit(location.root, ['cat-file', 'blob', object], fd);
    if (!blob.ok) throw new Error(`git could not read ${object}: ${blob.problem}`);
  } catch (error) {
    remove();
    throw error;
  } finally {
    closeSync(fd);
  }
  return { file, remove };
}
