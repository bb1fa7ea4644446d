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

/** One cache file, however it is named: usage is per file, since two files may hold the same key. */
function cacheIdentity(cachePath: string): string {
  try {
    return realpathSync(cachePath);
  } catch {
    return resolve(cachePath);
  }
}

function database(statePath: string) {
  const db = openStateDatabase(statePath);
  migrate(db, 'cache_usage', [schemaV1]);
  return db;
}

/** Adds one invocation's hits, in one transaction (called once per invocation, not per hit). */
export function recordCacheHits(statePath: string, cachePath: string, org: string, hits: ReadonlyMap<string, number>, at = new Date()): void {
  if (hits.size === 0) return;
  const db = database(statePath);
  const upsert = db.prepare(
    `INSERT INTO cache_usage (cache, org, key, hits, last_used_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (cache, org, key) DO UPDATE SET hits = hits + excluded.hits, last_used_at = excluded.last_used_at`,
  );
  const cache = cacheIdentity(cachePath);
  const when = at.toISOString();
  db.transaction(() => {
    for (const [key, count] of hits) upsert.run(cache, org, key, count, when);
  })();
}

export function readCacheUsage(statePath: string, cachePath: string, org: string): Map<string, CacheEntryUsage> {
  const rows = database(statePath)
    .prepare<[string, string], { key: string; hits: number; last_used_at: string }>('SELECT key, hits, last_used_at FROM cache_usage WHERE cache = ? AND org = ?')
    .all(cacheIdentity(cachePath), org);
  return new Map(rows.map((row) => [row.key, { key: row.key, hits: row.hits, lastUsedAt: row.last_used_at }]));
}

export function forgetCacheUsage(statePath: string, cachePath: string, org: string, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const db = database(statePath);
  const remove = db.prepare('DELETE FROM cache_usage WHERE cache = ? AND org = ? AND key = ?');
  const cache = cacheIdentity(cachePath);
  db.transaction(() => {
    for (const key of keys) remove.run(cache, org, key);
  })();
}
