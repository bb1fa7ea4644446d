import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StateFileError } from '../errors.js';
import { writeBlocker } from '../files/write-access.js';

/**
 * The local state file (`.rehearse/state.sqlite`, git-ignored): the memory index now, sessions and
 * invocation records later. Unlike the committed cache it is written freely, so it stays in WAL mode.
 *
 * One connection per path per process, kept open (closed when the process exits): opening, checking
 * and preparing cost more than the memory actions themselves. Each feature owns its tables and creates
 * them through `migrate()`.
 */

/** A connection to the state file, and its prepared statements: the features that own tables use these names, so better-sqlite3 stays behind this folder. */
export type StateDatabase = Database.Database;
export type StateStatement<Parameters extends unknown[] | object = unknown[], Result = unknown> = Database.Statement<Parameters, Result>;

/** Marks a file as a rehearse state file, and holds each feature's schema version. */
const markerTable = 'state_schema';

interface OpenState {
  db: Database.Database;
  /** The file's inode when opened: a file deleted or replaced underneath is reopened, not written blind. */
  inode: number;
}

/** Features whose migrations each connection has already checked. */
const migrated = new WeakMap<Database.Database, Set<string>>();

const open = new Map<string, OpenState>();
let exitHookInstalled = false;

/** The connection to the state file at `path`, opened (and the file created, with its folder) on first use. */
export function openStateDatabase(path: string): Database.Database {
  const file = resolve(path);
  const cached = open.get(file);
  if (cached) {
    if (statSync(file, { throwIfNoEntry: false })?.ino === cached.inode) return cached.db;
    closeStateDatabase(file);
  }
  const state = openFile(file);
  open.set(file, state);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => closeStateDatabase());
  }
  return state.db;
}

/** Closes the connection to one state file, or to all of them. Safe to call twice. */
export function closeStateDatabase(path?: string): void {
  const files = path === undefined ? [...open.keys()] : [resolve(path)];
  for (const file of files) {
    const state = open.get(file);
    open.delete(file);
    try {
      state?.db.close();
    } catch {
      // already closed
    }
  }
}

/**
 * Brings one feature's tables up to date. `steps[i]` is the SQL that takes the feature from version i
 * to i + 1; write it with `CREATE ... IF NOT EXISTS` so that a half-known file is still safe. Runs in
 * an immediate transaction that re-reads the version, so concurrent processes apply each step once.
 */
export function migrate(db: Database.Database, feature: string, steps: readonly string[]): void {
  const done = migrated.get(db) ?? new Set<string>();
  if (done.has(feature)) return;
  const versionOf = db.prepare<[string], { version: number }>(`SELECT version FROM ${markerTable} WHERE feature = ?`);
  const path = db.name;
  try {
    db.transaction(() => {
      const current = versionOf.get(feature)?.version ?? 0;
      if (current > steps.length) {
        throw new StateFileError(path, `its "${feature}" tables were made by a newer rehearse (version ${current}; this one knows up to ${steps.length}).`, {
          hint: 'Upgrade rehearse, or move the state file away (it only holds local state).',
        });
      }
      if (current === steps.length) return;
      for (const step of steps.slice(current)) db.exec(step);
      db.prepare(`INSERT INTO ${markerTable} (feature, version) VALUES (?, ?) ON CONFLICT (feature) DO UPDATE SET version = excluded.version`).run(
        feature,
        steps.length,
      );
    }).immediate();
  } catch (error) {
    if (error instanceof StateFileError) throw error;
    throw new StateFileError(path, `the "${feature}" tables could not be created (${(error as Error).message}).`, { cause: error });
  }
  done.add(feature);
  migrated.set(db, done);
}

/** A path that is not a file this process may write: named before SQLite says "disk I/O error" or "not a database". */
function checkWritablePath(file: string): void {
  const found = statSync(file, { throwIfNoEntry: false });
  const writeHint = 'It holds sessions and run records, so rehearse writes to it: point "state.path" in rehearse.config.json (or REHEARSE_STATE) at a file in a writable folder.';
  if (found?.isDirectory()) throw new StateFileError(file, 'it is a folder, not a file.', { hint: `Point "state.path" (or REHEARSE_STATE) at a file, for example ${resolve(file, 'state.sqlite')}.` });
  if (found && !found.isFile()) throw new StateFileError(file, 'it is not a regular file (a device, a pipe or a socket).', { hint: writeHint });
  const blocker = writeBlocker(file);
  if (blocker) throw new StateFileError(file, `${blocker}.`, { hint: writeHint });
}

function openFile(file: string): OpenState {
  checkWritablePath(file);
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    throw new StateFileError(file, `its folder could not be created (${(error as Error).message}).`, { cause: error });
  }
  let db: Database.Database;
  try {
    db = new Database(file);
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    throw new StateFileError(file, `SQLite could not open it (${(error as Error).message}).`, { cause: error });
  }
  try {
    checkFormat(db, file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec(`CREATE TABLE IF NOT EXISTS ${markerTable} (feature TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
  } catch (error) {
    db.close();
    if (error instanceof StateFileError) throw error;
    throw new StateFileError(file, `it could not be prepared (${(error as Error).message}).`, { cause: error });
  }
  return { db, inode: statSync(file).ino };
}

/** Refuses a file that is not SQLite, or a SQLite file of something else (the cache, say), before writing to it. */
function checkFormat(db: Database.Database, file: string): void {
  let tables: string[];
  try {
    tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name);
  } catch (error) {
    throw new StateFileError(file, `it is not a SQLite database (${(error as Error).message}).`, { cause: error });
  }
  if (tables.length > 0 && !tables.includes(markerTable)) {
    throw new StateFileError(file, `it is a SQLite database but not a rehearse state file (tables: ${tables.join(', ')}).`);
  }
}
