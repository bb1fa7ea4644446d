import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { migrate, openStateDatabase } from './database.js';

/**
 * How often each recording was replayed, and when last: kept in the local state file, never in the
 * committed cache, so replaying leaves the cache byte for byte unchanged. The cache commands read it
 * for `stats`, `--unused-since` and pruning.
 */
export interface CacheEntryUsage {
  key: string;
  hits: number;
  /** ISO 8601. */
  lastUsedAt: string;
}

const schemaV1 = `
CREATE TABLE IF NOT EXISTS cache_usage (
  cache TEXT NOT NULL,
  org TEXT NOT NULL,
  key TEXT NOT NULL,
  hits INTEGER NOT NULL,
  last_used_at TEXT NOT NULL,
  PRIMARY KEY (cache, org, key)
);`;

// An invocation appends its hits as one row; readers fold the rows into cache_usage. One insert per
// invocation instead of an upsert per hit keeps the bookkeeping off the replay hit's budget.
const schemaV2 = `
CREATE TABLE IF NOT EXISTS cache_hit_batches (
  id INTEGER PRIMARY KEY,
  cache TEXT NOT NULL,
  org TEXT NOT NULL,
  at TEXT NOT NULL,
  hits TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cache_hit_batches_by_cache ON cache_hit_batches (cache, org);`;

/** One cache file, however it is named: usage is per file, since two files may hold the same key. */
function cacheIdentity(cachePath: string): string {
  if (/^[a-z]+:\/\//i.test(cachePath)) return cachePath; // a server's URL (without its password)
  try {
    return realpathSync(cachePath);
  } catch {
    return resolve(cachePath);
  }
}

function database(statePath: string) {
  const db = openStateDatabase(statePath);
  migrate(db, 'cache_usage', [schemaV1, schemaV2]);
  return db;
}

/** Adds one invocation's hits: one row, whatever their number (called once per invocation, not per hit). */
export function recordCacheHits(statePath: string, cachePath: string, org: string, hits: ReadonlyMap<string, number>, at = new Date()): void {
  if (hits.size === 0) return;
  database(statePath)
    .prepare('INSERT INTO cache_hit_batches (cache, org, at, hits) VALUES (?, ?, ?, ?)')
    .run(cacheIdentity(cachePath), org, at.toISOString(), JSON.stringify(Object.fromEntries(hits)));
}

/** Folds the appended batches of one cache and org into the per-entry totals, in one transaction. */
function fold(db: ReturnType<typeof database>, cache: string, org: string): void {
  const batches = db.prepare<[string, string], { id: number; at: string; hits: string }>('SELECT id, at, hits FROM cache_hit_batches WHERE cache = ? AND org = ? ORDER BY id');
  const upsert = db.prepare(
    `INSERT INTO cache_usage (cache, org, key, hits, last_used_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (cache, org, key) DO UPDATE SET hits = hits + excluded.hits, last_used_at = max(last_used_at, excluded.last_used_at)`,
  );
  const remove = db.prepare('DELETE FROM cache_hit_batches WHERE id = ?');
  db.transaction(() => {
    for (const batch of batches.all(cache, org)) {
      for (const [key, count] of Object.entries(JSON.parse(batch.hits) as Record<string, number>)) upsert.run(cache, org, key, count, batch.at);
      remove.run(batch.id);
    }
  }).immediate();
}

export function readCacheUsage(statePath: string, cachePath: string, org: string): Map<string, CacheEntryUsage> {
  const db = database(statePath);
  fold(db, cacheIdentity(cachePath), org);
  const rows = db
    .prepare<[string, string], { key: string; hits: number; last_used_at: string }>('SELECT key, hits, last_used_at FROM cache_usage WHERE cache = ? AND org = ?')
    .all(cacheIdentity(cachePath), org);
  return new Map(rows.map((row) => [row.key, { key: row.key, hits: row.hits, lastUsedAt: row.last_used_at }]));
}

/**
 * Usage of one org, or (org undefined) of every org the state file knows for this cache, by org
 * then key: the same key may be recorded in several orgs, each with its own hits.
 */
export function readCacheUsageByOrg(statePath: string, cachePath: string, org: string | undefined): Map<string, Map<string, CacheEntryUsage>> {
  if (org !== undefined) return new Map([[org, readCacheUsage(statePath, cachePath, org)]]);
  const db = database(statePath);
  const cache = cacheIdentity(cachePath);
  const orgs = db
    .prepare<[string, string], { org: string }>('SELECT org FROM cache_hit_batches WHERE cache = ? UNION SELECT org FROM cache_usage WHERE cache = ?')
    .all(cache, cache)
    .map((row) => row.org);
  return new Map(orgs.map((name) => [name, readCacheUsage(statePath, cachePath, name)]));
}

export function forgetCacheUsage(statePath: string, cachePath: string, org: string, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const db = database(statePath);
  const cache = cacheIdentity(cachePath);
  fold(db, cache, org);
  const remove = db.prepare('DELETE FROM cache_usage WHERE cache = ? AND org = ? AND key = ?');
  db.transaction(() => {
    for (const key of keys) remove.run(cache, org, key);
  })();
}
