import { accessSync, constants, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Why this process could not write the file at `path` (or create it, or the journal SQLite keeps
 * beside it): undefined when it can. Asked before a write that costs something (a live call about to
 * be recorded) and to explain a write that failed, in the words a user acts on. The file system's own
 * answer (access(2)) is used, so a read-only mount is named even for root.
 */
export function writeBlocker(path: string): string | undefined {
  const folder = dirname(path);
  const file = statSync(path, { throwIfNoEntry: false });
  if (file && !file.isFile()) return `${path} is not a regular file`;
  if (file) {
    const problem = accessProblem(path);
    if (problem) return `the file cannot be written (${problem})`;
  }
  const folderProblem = accessProblem(folder);
  if (folderProblem === 'no such folder') return undefined; // created with its folders on first write
  if (folderProblem) return `its folder ${folder} cannot be written (${folderProblem}), and SQLite keeps a journal beside the file while it writes`;
  return undefined;
}

function accessProblem(path: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EROFS') return 'the file system is read-only';
    if (code === 'EACCES' || code === 'EPERM') return `permission denied for ${userName()}`;
    if (code === 'ENOENT') return 'no such folder';
    return (error as Error).message;
  }
}

function userName(): string {
  return process.env.USER || process.env.LOGNAME || (typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user');
}
