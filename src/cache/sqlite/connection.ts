import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { CacheFileError } from '../../errors.js';
import { retryWhileBusy } from './busy.js';
import { fileError, inspectFile, type FileShape } from './schema.js';

export interface Connection {
  db: Database.Database;
  shape: FileShape;
  /** The file's inode when opened: a file replaced underneath is reopened, not read blind. */
  inode: number;
}

/**
 * Opens the cache file, or undefined when it does not exist and `create` is false (every lookup is
 * then a miss, and nothing is created).
 *
 * The file stays in rollback-journal mode for good: at rest it is one file, with nothing beside it
 * for git to see, and a reader needs no -shm. It is opened read-write even to replay: reading writes
 * nothing, and only a read-write connection can roll back a journal that a crashed writer left, which
 * SQLite does by itself on the first read (a read-only one fails with SQLITE_READONLY_ROLLBACK).
 * A file still in WAL mode (left by an older rehearse, or a crash during one) is checkpointed and
 * turned back to a rollback journal: recovering a crashed write is the one time a reader writes.
 */
export async function openConnection(path: string, create: boolean, busyTimeoutMs: number): Promise<Connection | undefined> {
  const found = statSync(path, { throwIfNoEntry: false });
  if (found?.isDirectory()) {
    throw new CacheFileError(path, 'it is a folder, not a file.', { hint: `Point --cache (or REHEARSE_CACHE, or cache.path) at a file, for example ${join(path, 'rehearse.sqlite')}.` });
  }
  if (!create && !found) return undefined;
  if (create) mkdirSync(dirname(path), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: !create, timeout: 0 });
  } catch (error) {
    throw new CacheFileError(path, `SQLite could not open it (${(error as Error).message}).`, { cause: error });
  }
  try {
    // timeout 0 (better-sqlite3 would set busy_timeout to 5 s): SQLite would wait by sleeping in this
    // thread; retryWhileBusy waits with timers instead.
    const shape = await retryWhileBusy(() => guarded(path, () => inspectFile(db, path)), path, 'opening it', busyTimeoutMs);
    await leaveWalMode(db, path, busyTimeoutMs);
    return { db, shape, inode: statSync(path).ino };
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Turns a file found in WAL mode back into a single rollback-journal file, writing what its WAL
 * holds into it. rehearse never puts the file in WAL mode; an older rehearse did while recording,
 * and one that crashed left it so (with -wal and -shm beside it).
 */
export async function leaveWalMode(db: Database.Database, path: string, busyTimeoutMs: number): Promise<void> {
  if (db.pragma('journal_mode', { simple: true }) !== 'wal') return;
  await retryWhileBusy(() => guarded(path, () => db.pragma('journal_mode = DELETE')), path, 'finishing an interrupted write', busyTimeoutMs);
}

/** Runs a read of the file, turning SQLite's errors into what they mean for the cache (busy ones pass, to be waited on). */
export function guarded<T>(path: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw fileError(path, error);
  }
}
