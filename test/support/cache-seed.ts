import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson, replayKey } from '../../src/cache/key.js';
import Database from 'better-sqlite3';
import { cacheSchemaVersion, schemaSql } from '../../src/cache/sqlite/schema.js';
import { insertRow } from '../../src/cache/sqlite/statements.js';
import type { CacheRow } from '../../src/cache/types.js';

/** One entry to seed, every field defaulted; the key is computed by the formula, as a recording would. */
export interface SeedEntry {
  org?: string;
  bot?: string;
  version?: string;
  action?: string;
  params?: unknown;
  occurrence?: number;
  output?: unknown;
  /** The output column's text as is (overrides `output`). */
  outputText?: string;
  status?: 'success' | 'error';
  usage?: { input_tokens: number; output_tokens: number } | null;
  cost?: number;
  durationMs?: number;
  createdAt?: string;
  deltas?: unknown[] | null;
  redacted?: number;
}

export function cacheRow(entry: SeedEntry): CacheRow {
  const botId = entry.bot ?? 'seed-bot';
  const version = entry.version ?? 'v1';
  const action = entry.action ?? 'llm.message';
  const parameters = entry.params ?? { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] };
  const occurrence = entry.occurrence ?? 0;
  return {
    org: entry.org ?? 'default',
    key: replayKey({ bot_id: botId, bot_updated_at: version, action_type: action, parameters, occurrence }),
    bot_id: botId,
    bot_version: version,
    action_type: action,
    params: canonicalJson(parameters),
    occurrence,
    output: entry.outputText ?? JSON.stringify(entry.output ?? { content: 'hi' }),
    status: entry.status ?? 'success',
    usage: entry.usage === null ? null : JSON.stringify(entry.usage ?? { input_tokens: 10, output_tokens: 2 }),
    cost_usd: entry.cost ?? 0.001,
    duration_ms: entry.durationMs ?? 120,
    created_at: entry.createdAt ?? '2026-01-01T00:00:00.000Z',
    deltas: entry.deltas ? JSON.stringify(entry.deltas) : null,
    redacted: entry.redacted ?? 0,
  };
}

/**
 * Writes rows into a cache file synchronously, in one transaction, with the store's own schema and
 * insert statement (write-once: a key already there keeps its row). For seeding tests and benches.
 */
export function writeRows(path: string, rows: Iterable<CacheRow>): void {
  mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  try {
    db.exec(schemaSql);
    db.prepare("INSERT INTO meta (name, value) VALUES ('schema_version', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value").run(String(cacheSchemaVersion));
    const insert = db.prepare(insertRow);
    db.transaction(() => {
      for (const row of rows) insert.run(row);
    })();
  } finally {
    db.close();
  }
}

/** Writes the entries as recordings are written, and returns their rows. */
export function seedCache(path: string, entries: readonly SeedEntry[]): CacheRow[] {
  const rows = entries.map(cacheRow);
  writeRows(path, rows);
  return rows;
}
