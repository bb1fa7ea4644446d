import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { CacheFileError } from '../errors.js';
import type { CacheBackend, CacheListFilter, CacheRow, StoredOutcome } from './types.js';

/**
 * 2 added `deltas`, 3 added `redacted`. An older file is read as it is (its missing columns read as
 * their defaults) and upgraded on its first write.
 */
export const cacheSchemaVersion = 3;

/** Columns added after schema 1: how to add each, and what it reads as where it is missing. */
const laterColumns = {
  deltas: { definition: 'TEXT', missing: 'NULL' },
  redacted: { definition: 'INTEGER NOT NULL DEFAULT 0', missing: '0' },
} as const;
type LaterColumn = keyof typeof laterColumns;

/**
 * How anything that writes the committed cache ends: a checkpoint, and back to a rollback journal,
 * so no -wal or -shm file is left for git and the next reader needs none. Another process still
 * writing keeps WAL on (this fails as busy); the last one to close turns it off.
 */
export function finishWriting(db: Database.Database): boolean {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.pragma('journal_mode = DELETE');
    return true;
  } catch {
    return false; // busy: another connection holds the file; the last one to close finishes
  }
}

/**
 * After a connection closes, finishes a WAL that is still beside the file. Two processes that close
 * at the same moment each see the other's connection and give up, leaving a -wal to commit; so
 * whoever closes retries briefly with a fresh connection once its own is gone.
 */
function finishLeftoverWal(path: string): void {
  for (let attempt = 0; attempt < 5 && existsSync(`${path}-wal`); attempt++) {
    if (attempt > 0) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5 + Math.random() * 20);
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { fileMustExist: true });
      db.pragma('busy_timeout = 100');
      if (finishWriting(db)) return;
    } catch {
      // the file is busy or gone: try again, or leave it to the connection still open
    } finally {
      db?.close();
    }
  }
}

const schema = `
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS entries (
  org TEXT NOT NULL,
  key TEXT NOT NULL,
  bot_id TEXT NOT NULL,
  bot_version TEXT NOT NULL,
  action_type TEXT NOT NULL,
  params TEXT NOT NULL,
  occurrence INTEGER NOT NULL DEFAULT 0,
  output TEXT NOT NULL,
  status TEXT NOT NULL,
  usage TEXT,
  cost_usd REAL NOT NULL DEFAULT 0,
  duration_ms REAL NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  deltas TEXT,
  redacted INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (org, key)
);
CREATE INDEX IF NOT EXISTS entries_by_bot ON entries (org, bot_id, action_type);
`;

const columns =
  'org, key, bot_id, bot_version, action_type, params, occurrence, output, status, usage, cost_usd, duration_ms, created_at, deltas, redacted';


/**
 * The cache in one SQLite file. The file is committed by teams, so only recording writes to it:
 * a reader opens it without changing a byte, and the first save switches it to WAL, and closing
 * checkpoints and returns it to a plain journal so no -wal or -shm file is left to commit.
 */
export class SqliteCacheBackend implements CacheBackend {
  readonly path: string;
  private db: Database.Database | undefined;
  private writable = false;
  private wrote = false;
  private closed = false;
  /** A SQLite file with no tables yet: read as an empty cache until the first save creates the schema. */
  private empty = false;
  /** Later columns this file lacks; reading never adds them. */
  private missingColumns = new Set<LaterColumn>();
  private findStatement: Database.Statement<[string, string], StoredOutcome> | undefined;
  private upsertStatement: Database.Statement | undefined;

  constructor(path: string) {
    this.path = path;
  }

  find(org: string, key: string): StoredOutcome | undefined {
    const db = this.reader();
    if (!db || this.empty) return undefined;
    this.findStatement ??= db.prepare<[string, string], StoredOutcome>(
      `SELECT output, status, usage, cost_usd, created_at, ${this.column('deltas')} FROM entries WHERE org = ? AND key = ?`,
    );
    return this.findStatement.get(org, key);
  }

  list(org: string, filter: CacheListFilter = {}): CacheRow[] {
    const db = this.reader();
    if (!db || this.empty) return [];
    const where = ['org = ?'];
    const values: unknown[] = [org];
    if (filter.botId !== undefined) (where.push('bot_id = ?'), values.push(filter.botId));
    if (filter.actionType !== undefined) (where.push('action_type = ?'), values.push(filter.actionType));
    const limit = filter.limit === undefined ? '' : ` LIMIT ${Math.max(0, Math.floor(filter.limit))}`;
    return db
      .prepare<unknown[], CacheRow>(`SELECT ${columns.replace('deltas, redacted', `${this.column('deltas')}, ${this.column('redacted')}`)} FROM entries WHERE ${where.join(' AND ')} ORDER BY created_at DESC, key${limit}`)
      .all(...values);
  }

  save(row: CacheRow): void {
    this.saveAll([row]);
  }

  /** Saves many rows in one transaction (an import, a seeded benchmark): one fsync, not one per row. */
  saveAll(rows: Iterable<CacheRow>): void {
    const db = this.writer();
    this.upsertStatement ??= db.prepare(
      `INSERT INTO entries (${columns}) VALUES (@org, @key, @bot_id, @bot_version, @action_type, @params, @occurrence, @output, @status, @usage, @cost_usd, @duration_ms, @created_at, @deltas, @redacted)
       ON CONFLICT (org, key) DO UPDATE SET bot_id = excluded.bot_id, bot_version = excluded.bot_version,
         action_type = excluded.action_type, params = excluded.params, occurrence = excluded.occurrence,
         output = excluded.output, status = excluded.status, usage = excluded.usage, cost_usd = excluded.cost_usd,
         duration_ms = excluded.duration_ms, created_at = excluded.created_at, deltas = excluded.deltas, redacted = excluded.redacted`,
    );
    const upsert = this.upsertStatement;
    db.transaction(() => {
      for (const row of rows) upsert.run(row);
    })();
    this.wrote = true;
  }

  delete(org: string, keys: readonly string[]): number {
    if (keys.length === 0 || !existsSync(this.path)) return 0;
    const db = this.writer();
    const remove = db.prepare('DELETE FROM entries WHERE org = ? AND key = ?');
    let removed = 0;
    db.transaction(() => {
      for (const key of keys) removed += remove.run(org, key).changes;
    })();
    this.wrote = true;
    return removed;
  }

  close(): void {
    this.closed = true;
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    this.findStatement = undefined;
    this.upsertStatement = undefined;
    if (this.wrote) finishWriting(db);
    db.close();
    finishLeftoverWal(this.path);
  }

  /** A later column by name, or its default where this file predates it. */
  private column(name: LaterColumn): string {
    return this.missingColumns.has(name) ? `${laterColumns[name].missing} AS ${name}` : name;
  }

  /** Opens the file if it exists, so that one rehearse cannot use is refused before any live call. */
  check(): void {
    this.reader();
  }

  /** The open connection, or undefined while the file does not exist (every lookup is then a miss). */
  private reader(): Database.Database | undefined {
    if (this.db) return this.db;
    if (!existsSync(this.path)) return undefined;
    this.open(false);
    return this.db;
  }

  private writer(): Database.Database {
    if (this.closed) throw new Error(`The cache ${this.path} was closed; nothing more is written to it.`);
    if (this.db && this.writable) return this.db;
    this.db?.close();
    this.db = undefined;
    this.findStatement = undefined;
    this.upsertStatement = undefined;
    mkdirSync(dirname(this.path), { recursive: true });
    const db = this.open(true);
    try {
      db.pragma('journal_mode = WAL');
      db.exec(schema);
      for (const name of this.missingColumns) db.exec(`ALTER TABLE entries ADD COLUMN ${name} ${laterColumns[name].definition}`);
      db.prepare("INSERT INTO meta (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(
        String(cacheSchemaVersion),
      );
      this.missingColumns.clear();
    } catch (error) {
      throw new CacheFileError(this.path, `it could not be prepared for writing (${(error as Error).message}).`, { cause: error });
    }
    return db;
  }

  private open(forWriting: boolean): Database.Database {
    let db: Database.Database;
    try {
      db = new Database(this.path, forWriting ? {} : { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
    } catch (error) {
      throw new CacheFileError(this.path, `SQLite could not open it (${(error as Error).message}).`, { cause: error });
    }
    this.checkFormat(db);
    this.db = db;
    this.writable = forWriting;
    return db;
  }

  /** Refuses a file that is not a rehearse cache, or one written by a newer rehearse, before touching it. */
  private checkFormat(db: Database.Database): void {
    let tables: string[];
    try {
      tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'").all().map((row) => row.name);
    } catch (error) {
      db.close();
      throw new CacheFileError(this.path, `it is not a SQLite database (${(error as Error).message}).`, { cause: error });
    }
    this.empty = tables.length === 0; // a new, empty file: the writer creates the schema
    this.missingColumns.clear();
    if (this.empty) return;
    if (!tables.includes('entries') || !tables.includes('meta')) {
      db.close();
      throw new CacheFileError(this.path, `it is a SQLite database but not a rehearse cache (tables: ${tables.join(', ')}).`);
    }
    const version = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE name = 'schema_version'").get()?.value);
    if (!(version >= 1)) {
      db.close();
      throw new CacheFileError(this.path, 'its meta table has no schema_version.');
    }
    if (version > cacheSchemaVersion) {
      db.close();
      throw new CacheFileError(this.path, `it was written by a newer rehearse (cache schema ${version}; this one reads up to ${cacheSchemaVersion}).`, {
        hint: 'Upgrade rehearse (npm install rehearse@latest) to read this cache.',
      });
    }
    const present = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('entries')").all().map((column) => column.name));
    this.missingColumns = new Set((Object.keys(laterColumns) as LaterColumn[]).filter((name) => !present.has(name)));
  }
}
