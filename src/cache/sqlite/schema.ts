import type Database from 'better-sqlite3';
import { CacheFileError } from '../../errors.js';
import { isBusy } from './busy.js';

/**
 * 2 added `deltas`, 3 added `redacted`. An older file is read as it is (its missing columns read as
 * their defaults) and upgraded on its first write.
 */
export const cacheSchemaVersion = 3;

/** Columns added after schema 1: how to add each, and what it reads as where it is missing. */
export const laterColumns = {
  deltas: { definition: 'TEXT', missing: 'NULL' },
  redacted: { definition: 'INTEGER NOT NULL DEFAULT 0', missing: '0' },
} as const;
export type LaterColumn = keyof typeof laterColumns;

export const schemaSql = `
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

/** What the format check learnt of a file. */
export interface FileShape {
  /** A SQLite file with no tables yet: an empty cache until the first write creates the schema. */
  empty: boolean;
  /** Later columns this file lacks; reading never adds them. */
  missingColumns: Set<LaterColumn>;
  /** The schema_version in meta (the current one for an empty file). */
  version: number;
}

/** Whether the next write must first create the schema, or bring it up to date. */
export function needsUpgrade(shape: FileShape): boolean {
  return shape.empty || shape.missingColumns.size > 0 || shape.version < cacheSchemaVersion;
}

/** Whether SQLite's error says the file itself cannot be used (not SQLite, damaged, a journal it cannot roll back). */
export function isCacheFileProblem(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY';
}

/** The SQLite error as a CacheFileError that says what it means for this file; busy errors pass through to be waited on. */
export function fileError(path: string, error: unknown): unknown {
  if (isBusy(error) || !(error instanceof Error)) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code === 'SQLITE_READONLY_ROLLBACK' || code === 'SQLITE_READONLY_RECOVERY' || code === 'SQLITE_READONLY_CANTINIT') {
    return new CacheFileError(path, `a write to it was interrupted, and rolling it back needs write access to the file and its folder (${error.message}).`, {
      cause: error,
      hint: `Do not delete the files beside it (${path}-journal or -wal): they hold what is needed to restore it. Give write access to ${path} and its folder, then run any rehearse command on it once: it is restored on open.`,
    });
  }
  if (code === 'SQLITE_NOTADB') return new CacheFileError(path, `it is not a SQLite database (${error.message}).`, { cause: error });
  if (code.startsWith('SQLITE_CORRUPT')) {
    return new CacheFileError(path, `SQLite reports it damaged (${error.message}).`, {
      cause: error,
      hint: `rehearse never overwrites it. rehearse cache verify --cache ${path} says what is damaged; restore it from git (git checkout -- ${path}) or record into another file.`,
    });
  }
  if (code.startsWith('SQLITE_')) return new CacheFileError(path, `SQLite could not read it (${error.message}).`, { cause: error });
  return error;
}

/** Refuses a file that is not a rehearse cache, or one written by a newer rehearse, before touching it. */
export function inspectFile(db: Database.Database, path: string): FileShape {
  const tables = db
    .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
    .all()
    .map((row) => row.name);
  const shape: FileShape = { empty: tables.length === 0, missingColumns: new Set(), version: cacheSchemaVersion };
  if (shape.empty) return shape;
  if (!tables.includes('entries') || !tables.includes('meta')) {
    throw new CacheFileError(path, `it is a SQLite database but not a rehearse cache (tables: ${tables.join(', ')}).`);
  }
  const version = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE name = 'schema_version'").get()?.value);
  if (!(version >= 1)) throw new CacheFileError(path, 'its meta table has no schema_version.');
  if (version > cacheSchemaVersion) {
    throw new CacheFileError(path, `it was written by a newer rehearse (cache schema ${version}; this one reads up to ${cacheSchemaVersion}).`, {
      hint: 'Upgrade rehearse (npm install agent-rehearse@latest) to read this cache.',
    });
  }
  shape.version = version;
  const present = new Set(db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('entries')").all().map((column) => column.name));
  shape.missingColumns = new Set((Object.keys(laterColumns) as LaterColumn[]).filter((name) => !present.has(name)));
  return shape;
}

/** Creates the schema, or brings an older file up to it: part of the first write's transaction. */
export function upgradeSchema(db: Database.Database, shape: FileShape): void {
  db.exec(schemaSql);
  for (const name of shape.missingColumns) db.exec(`ALTER TABLE entries ADD COLUMN ${name} ${laterColumns[name].definition}`);
  db.prepare("INSERT INTO meta (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(String(cacheSchemaVersion));
  shape.empty = false;
  shape.missingColumns.clear();
  shape.version = cacheSchemaVersion;
}

/** A later column by name, or its default where this file predates it. */
export function columnOrDefault(shape: FileShape, name: LaterColumn): string {
  return shape.missingColumns.has(name) ? `${laterColumns[name].missing} AS ${name}` : name;
}
