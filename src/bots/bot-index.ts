import { readdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { migrate, openStateDatabase, type StateDatabase, type StateStatement } from '../state/database.js';

/**
 * The bot index, in the local state file: which file defines which bot key, so that `rehearse invoke
 * <key>` imports that one file instead of every bot file of the project.
 *
 * It is trusted only while the files and folders it was made from are as they were: each bot file
 * and each folder the `bots` globs reach is recorded with its size and mtime, and one that differs
 * (an edited, added or deleted file changes its folder's mtime too) makes the whole index stale, to
 * be rebuilt by loading every file as before. Entries are scoped by the config's root and globs, so
 * projects sharing a state file, or a config whose globs change, never read each other's.
 */
const schemaV1 = `
CREATE TABLE IF NOT EXISTS bot_index_paths (
  scope TEXT NOT NULL,
  path TEXT NOT NULL,
  size INTEGER NOT NULL,
  mtime_ms REAL NOT NULL,
  PRIMARY KEY (scope, path)
);
CREATE TABLE IF NOT EXISTS bot_index_keys (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  file TEXT NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('code', 'command')),
  PRIMARY KEY (scope, key)
);
`;

export interface IndexedBot {
  key: string;
  file: string;
  kind: 'code' | 'command';
}

/** A file or folder as it was when the index was made. */
export interface PathStamp {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface IndexScope {
  root: string;
  botGlobs: readonly string[];
}

const globMagic = /[*?[\]{}()!+@]/;

function stamp(path: string): PathStamp | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  return stats ? { path, size: stats.size, mtimeMs: stats.mtimeMs } : undefined;
}

/** The folders under `dir` a glob may look in (its own included), skipping node_modules and hidden folders as the glob does. */
function foldersUnder(dir: string, deep: boolean, into: Set<string>): void {
  into.add(dir);
  if (!deep) return;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.')) foldersUnder(resolve(dir, entry.name), true, into);
  }
}

/**
 * The folders whose mtime tells that a file matching the globs appeared or went: each glob's fixed
 * leading folder (or, while it does not exist, the nearest folder above that does) and, for a glob
 * that reaches deeper, every folder below it.
 */
function globFolders(scope: IndexScope): Set<string> {
  const folders = new Set<string>();
  for (const glob of scope.botGlobs) {
    if (glob.startsWith('!')) continue;
    const segments = glob.split('/');
    const fixed: string[] = [];
    while (segments.length > 1 && !globMagic.test(segments[0]!)) fixed.push(segments.shift()!);
    let base = resolve(scope.root, ...fixed);
    while (stamp(base) === undefined && dirname(base) !== base) base = dirname(base);
    foldersUnder(base, segments.length > 1, folders);
  }
  return folders;
}

/** The stamps of the bot files and of the folders the globs reach, taken before the files are loaded. */
export function takeStamps(scope: IndexScope, files: readonly string[]): PathStamp[] {
  const paths = [...new Set([...files, ...globFolders(scope)])];
  return paths.map(stamp).filter((found): found is PathStamp => found !== undefined);
}

interface IndexStatements {
  paths: StateStatement<[string], PathStamp>;
  key: StateStatement<[string, string], IndexedBot>;
}

const prepared = new WeakMap<StateDatabase, IndexStatements>();

function statements(db: StateDatabase): IndexStatements {
  let found = prepared.get(db);
  if (!found) {
    migrate(db, 'bot-index', [schemaV1]);
    found = {
      paths: db.prepare('SELECT path, size, mtime_ms AS mtimeMs FROM bot_index_paths WHERE scope = ?'),
      key: db.prepare('SELECT key, file, kind FROM bot_index_keys WHERE scope = ? AND key = ?'),
    };
    prepared.set(db, found);
  }
  return found;
}

function scopeName(scope: IndexScope): string {
  return JSON.stringify([scope.root, [...scope.botGlobs]]);
}

export class BotIndex {
  private readonly db: StateDatabase;
  private readonly scope: string;

  constructor(statePath: string, scope: IndexScope) {
    this.db = openStateDatabase(statePath);
    this.scope = scopeName(scope);
  }

  /**
   * What the index says of `key` while every recorded file and folder is unchanged: the entry, or
   * null for a key no file defines. Undefined when the index is missing or stale.
   */
  lookup(key: string): IndexedBot | null | undefined {
    const { paths, key: byKey } = statements(this.db);
    const recorded = paths.all(this.scope);
    if (recorded.length === 0) return undefined;
    for (const { path, size, mtimeMs } of recorded) {
      const now = stamp(path);
      if (!now || now.size !== size || now.mtimeMs !== mtimeMs) return undefined;
    }
    return byKey.get(this.scope, key) ?? null;
  }

  /** Replaces this scope's index with the bots found, from stamps taken before their files were read. */
  record(stamps: readonly PathStamp[], bots: readonly IndexedBot[]): void {
    statements(this.db);
    const insertPath = this.db.prepare('INSERT INTO bot_index_paths (scope, path, size, mtime_ms) VALUES (?, ?, ?, ?)');
    const insertKey = this.db.prepare('INSERT INTO bot_index_keys (scope, key, file, kind) VALUES (?, ?, ?, ?)');
    this.db
      .transaction(() => {
        this.db.prepare('DELETE FROM bot_index_paths WHERE scope = ?').run(this.scope);
        this.db.prepare('DELETE FROM bot_index_keys WHERE scope = ?').run(this.scope);
        for (const entry of stamps) insertPath.run(this.scope, entry.path, entry.size, entry.mtimeMs);
        for (const bot of bots) insertKey.run(this.scope, bot.key, bot.file, bot.kind);
      })
      .immediate();
  }
}
