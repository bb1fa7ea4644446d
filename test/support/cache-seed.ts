import { canonicalJson, replayKey } from '../../src/cache/key.js';
import { SqliteCacheBackend } from '../../src/cache/sqlite-backend.js';
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

/** Writes the entries through the cache backend (as recordings are written) and returns their rows. */
export function seedCache(path: string, entries: readonly SeedEntry[]): CacheRow[] {
  const rows = entries.map(cacheRow);
  const backend = new SqliteCacheBackend(path);
  try {
    backend.saveAll(rows);
  } finally {
    backend.close();
  }
  return rows;
}
