import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CacheWriteError, isRehearseError } from '../../errors.js';
import { writeBlocker } from '../../files/write-access.js';
import { fileError, isCacheFileProblem } from './schema.js';

type SqliteError = InstanceType<typeof Database.SqliteError>;

/** What SQLite's error code means, in words a user acts on, and what to do about it. */
function reason(path: string, error: SqliteError): { problem: string; hint?: string } {
  if (error.code === 'SQLITE_FULL') return { problem: 'the disk is full' };
  if (error.code.startsWith('SQLITE_IOERR')) return { problem: `an I/O error (${error.message})` };
  if (error.code.startsWith('SQLITE_READONLY') || error.code.startsWith('SQLITE_CANTOPEN')) {
    const blocker = writeBlocker(path);
    return {
      problem: blocker ?? `SQLite could not write the file or create its journal beside it (${error.message})`,
      hint: 'Make the file and its folder writable for this user, or record into a writable copy (--cache <copy>). Replaying only reads: --strict runs on a read-only cache.',
    };
  }
  return { problem: error.message };
}

/**
 * A failed write as the error to report. SQLite has rolled the transaction back; the message says
 * what is on disk now, so that nobody deletes the file, or a journal that is needed to restore it.
 */
export function writeError(path: string, error: unknown): unknown {
  if (isRehearseError(error) || !(error instanceof Database.SqliteError)) return error;
  if (isCacheFileProblem(error)) return fileError(path, error);
  const journal = `${path}-journal`;
  const state = existsSync(journal)
    ? `Nothing of this write was kept, and every recording made before it is intact: ${journal} is left beside the file and holds what restores it, so keep it (the next rehearse command that opens the cache rolls it back and removes it).`
    : 'Nothing of this write was kept: the file is as it was before, every recording made before it is intact, and nothing is left beside it.';
  const { problem, hint } = reason(path, error);
  return new CacheWriteError(path, `${problem}. ${state}`, { cause: error, ...(hint && { hint }) });
}
