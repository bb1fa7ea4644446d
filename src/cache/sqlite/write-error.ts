import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CacheWriteError, isRehearseError } from '../../errors.js';
import { fileError, isCacheFileProblem } from './schema.js';

type SqliteError = InstanceType<typeof Database.SqliteError>;

/** What SQLite's error code means, in words a user acts on. */
function reason(error: SqliteError): string {
  if (error.code === 'SQLITE_FULL') return 'the disk is full';
  if (error.code.startsWith('SQLITE_IOERR')) return `an I/O error (${error.message})`;
  if (error.code.startsWith('SQLITE_READONLY')) return `the file or its folder is read-only (${error.message})`;
  if (error.code.startsWith('SQLITE_CANTOPEN')) return `SQLite could not create its journal beside it (${error.message})`;
  return error.message;
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
  return new CacheWriteError(path, `${reason(error)}. ${state}`, { cause: error });
}
