import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, realpath, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { CodeExecOutput } from '../../actions/builtin-types.js';
import { CodeExecError } from '../../errors.js';

export type CodeExecFile = NonNullable<CodeExecOutput['files']>[number];

/** Files above this size are compared by size and mtime only, not by content. */
const HASH_LIMIT_BYTES = 1024 * 1024;
/** The walk of the sandbox stops after this many entries (files and folders). */
export const WALK_LIMIT = 1000;

/**
 * Writes the `files` param into the sandbox. Paths were checked by validate (relative, no `..`);
 * here the real folder is checked too, so a symlink a previous run left in a session's sandbox
 * cannot send a write outside it, and a symlink in the file's place is replaced, not followed.
 */
export async function writeParamFiles(sandbox: string, files: Readonly<Record<string, string>>): Promise<void> {
  const root = await realpath(sandbox);
  for (const [path, content] of Object.entries(files)) {
    const target = join(root, path);
    try {
      await makeFolderInside(root, dirname(path));
      const folder = await realpath(dirname(target));
      if (folder !== root && !folder.startsWith(root + sep)) {
        throw new Error(`its folder resolves to ${folder}, outside the sandbox`);
      }
      const existing = await lstat(target).catch(() => undefined);
      if (existing?.isDirectory()) throw new Error('a folder of that name exists in the sandbox');
      if (existing?.isSymbolicLink()) await unlink(target);
      await writeFile(target, content);
    } catch (error) {
      throw new CodeExecError(`cannot write files["${path}"]: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Makes `folder` (relative) under `root` one level at a time, refusing a level that leads outside. */
async function makeFolderInside(root: string, folder: string): Promise<void> {
  let current = root;
  for (const part of folder === '.' ? [] : folder.split('/')) {
    current = join(current, part);
    const stats = await lstat(current).catch(() => undefined);
    if (!stats) await mkdir(current);
    else if (stats.isSymbolicLink()) {
      const real = await realpath(current);
      if (!real.startsWith(root + sep)) throw new Error(`"${part}" is a symlink to ${real}, outside the sandbox`);
    } else if (!stats.isDirectory()) throw new Error(`"${part}" is a file in the sandbox, not a folder`);
  }
}

interface FileState {
  size: number;
  mtimeMs: number;
  /** Of the content, for files up to HASH_LIMIT_BYTES: catches a same-size rewrite within one mtime tick. */
  hash: string | undefined;
}

export type Snapshot = Map<string, FileState>;

/**
 * Every regular file under `root` (relative, `/`-separated) with its size, mtime and, when small, a
 * hash of its content. Symlinks are not followed; top-level names `skip` accepts are left out
 * (the code file, TMPDIR). Sorted and capped at WALK_LIMIT entries, so the same tree always gives
 * the same snapshot.
 */
export async function snapshotFiles(root: string, skip: (topLevelName: string) => boolean): Promise<Snapshot> {
  const snapshot: Snapshot = new Map();
  const folders: string[] = [''];
  let seen = 0;
  while (folders.length > 0) {
    const folder = folders.pop()!;
    let entries;
    try {
      entries = await readdir(join(root, folder), { withFileTypes: true });
    } catch {
      continue; // removed while we walked, or unreadable: nothing to report
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subfolders: string[] = [];
    for (const entry of entries) {
      if (folder === '' && skip(entry.name)) continue;
      if (++seen > WALK_LIMIT) return snapshot;
      const path = folder === '' ? entry.name : `${folder}/${entry.name}`;
      if (entry.isDirectory()) subfolders.push(path);
      else if (entry.isFile()) {
        const state = await fileState(join(root, path));
        if (state) snapshot.set(path, state);
      }
    }
    // Reversed onto the stack so that folders are walked in name order.
    folders.push(...subfolders.reverse());
  }
  return snapshot;
}

async function fileState(path: string): Promise<FileState | undefined> {
  try {
    const stats = await lstat(path);
    if (!stats.isFile()) return undefined;
    const hash = stats.size <= HASH_LIMIT_BYTES ? createHash('sha1').update(await readFile(path)).digest('hex') : undefined;
    return { size: stats.size, mtimeMs: stats.mtimeMs, hash };
  } catch {
    return undefined;
  }
}

/** What `after` has that `before` did not (created), or has with other content (modified). */
export function changedFiles(before: Snapshot, after: Snapshot): CodeExecFile[] {
  const changes: CodeExecFile[] = [];
  for (const [path, state] of after) {
    const previous = before.get(path);
    if (!previous) {
      changes.push({ path, size: state.size, change: 'created' });
      continue;
    }
    const modified =
      state.size !== previous.size ||
      (state.hash !== undefined && previous.hash !== undefined ? state.hash !== previous.hash : state.mtimeMs !== previous.mtimeMs);
    if (modified) changes.push({ path, size: state.size, change: 'modified' });
  }
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
