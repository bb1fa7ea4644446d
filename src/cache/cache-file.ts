import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { CacheFileError } from '../errors.js';
import { finishWriting, SqliteCacheBackend } from './sqlite-backend.js';

/**
 * The cache file as the maintenance commands (`rehearse cache ...`) see it. They read rows with
 * `SELECT *` and treat every column they do not know generically, so a column a later schema adds
 * is listed, exported and imported without this code knowing its name. The schema itself (its
 * creation and upgrades, the format checks) stays SqliteCacheBackend's.
 */

/** One row of `entries` as SQLite returns it: the columns of CacheRow, and any other the file has. */
export type EntryRecord = Record<string, unknown>;

/** Called as a long operation advances: `done` rows (or bytes) of `total`, when it is known. */
export type ProgressListener = (done: number, total?: number) => void;

export interface CacheReader {
  readonly path: string;
  readonly db: Database.Database;
  /** The columns of `entries`, in table order; empty for a SQLite file with no tables yet. */
  readonly columns: readonly string[];
  close(): void;
}

/** Whether the cache file exists. */
export function cacheExists(path: string): boolean {
  return existsSync(path);
}

/** The file's size on disk, with a -wal file a writer may have left beside it. */
export function cacheFileBytes(path: string): number {
  const size = (file: string) => statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  return size(path) + size(`${path}-wal`);
}

/**
 * Opens the cache read-only, after SqliteCacheBackend's format check (a file that is not a rehearse
 * cache, or one of a newer schema, is refused with CacheFileError). Reading changes no byte of the
 * file. Undefined when the file does not exist.
 */
export function openCacheReader(path: string): CacheReader | undefined {
  if (!existsSync(path)) return undefined;
  const backend = new SqliteCacheBackend(path);
  try {
    backend.check();
  } finally {
    backend.close();
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new CacheFileError(path, `SQLite could not open it (${(error as Error).message}).`, { cause: error });
  }
  return { path, db, columns: tableColumns(db, 'main'), close: () => db.close() };
}

/** The columns of `<schema>.entries` in table order (none when the table does not exist). */
export function tableColumns(db: Database.Database, schema: string): string[] {
  return db
    .prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('entries', '${schema}')`)
    .all()
    .map((column) => column.name);
}

/** SQL for the quoted name of a column. */
export function quoted(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Lets SqliteCacheBackend create the file, or bring an older one up to the current schema, exactly
 * as a first recording would (and refuse a file that is not a rehearse cache). Leaves the file in
 * rollback-journal mode, with no -wal or -shm file.
 */
export function prepareCacheSchema(path: string): void {
  const backend = new SqliteCacheBackend(path);
  try {
    backend.saveAll([]);
  } finally {
    backend.close();
  }
}

/**
 * Writes to the cache as a recording does: WAL while writing (readers in other processes go on
 * reading), then a checkpoint and back to a rollback journal on close, so no -wal or -shm file is
 * left for git to see. `work` runs with the connection; it opens and ends its own transaction.
 */
export async function writeCacheFile<T>(path: string, work: (db: Database.Database) => T | Promise<T>): Promise<T> {
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    db.pragma('journal_mode = WAL');
  } catch (error) {
    throw new CacheFileError(path, `it could not be opened for writing (${(error as Error).message}).`, { cause: error });
  }
  try {
    return await work(db);
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
    finishWriting(db);
    db.close();
  }
}
