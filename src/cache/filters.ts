import type { CacheEntryUsage } from '../state/cache-usage.js';
import { quoted, type CacheReader } from './cache-file.js';
import { jsonColumns } from './entry-check.js';

/** Which entries of an org a listing, clear or prune means. Every field narrows; none means all. */
export interface EntryFilter {
  botId?: string;
  actionType?: string;
  /** ISO time: entries recorded before it. */
  olderThan?: string;
  /** ISO time: entries with no hit since it (one never hit counts as unused since it was recorded). */
  unusedSince?: string;
  /** Entries whose bot_version is not their bot's current version (bots found through the config only). */
  stale?: boolean;
}

/** An entry without its large columns: what listings, stats and deletions need. */
export interface EntrySummary {
  key: string;
  bot_id: string;
  bot_version: string;
  action_type: string;
  occurrence: number;
  status: string;
  cost_usd: number;
  created_at: string;
  /** Bytes of its JSON columns (params, output, usage, deltas). */
  bytes: number;
}

export interface ListedEntry extends EntrySummary {
  hits: number;
  /** ISO time of the last hit; null when never replayed (as far as this state file knows). */
  last_used_at: string | null;
  /** The bot's current version, when the filter asked for stale entries. */
  current_version?: string;
}

export interface SelectContext {
  /** Per-entry usage from the local state file, by key. */
  usage: ReadonlyMap<string, CacheEntryUsage>;
  /** Each found bot's current version, by bot id; required when the filter asks for stale entries. */
  currentVersions?: ReadonlyMap<string, string>;
}

export interface Selection {
  entries: ListedEntry[];
  /** With `stale`: entries whose bot was not found through the config, by bot id. Not counted as stale. */
  botsNotFound: Map<string, number>;
}

export function hasFilter(filter: EntryFilter): boolean {
  return (
    filter.botId !== undefined || filter.actionType !== undefined || filter.olderThan !== undefined || filter.unusedSince !== undefined || filter.stale === true
  );
}

/**
 * The org's entries without params and output, ordered by bot, action type, time recorded and key,
 * one at a time (the statement is iterated, not loaded whole). Bot and action type are filtered in SQL.
 */
export function* entrySummaries(reader: CacheReader, org: string, filter: Pick<EntryFilter, 'botId' | 'actionType'> = {}): Generator<EntrySummary> {
  if (reader.columns.length === 0) return;
  const bytes = reader.columns
    .filter((column) => jsonColumns.has(column))
    .map((column) => `coalesce(length(CAST(${quoted(column)} AS BLOB)), 0)`)
    .join(' + ');
  const where = ['org = ?'];
  const values: string[] = [org];
  if (filter.botId !== undefined) (where.push('bot_id = ?'), values.push(filter.botId));
  if (filter.actionType !== undefined) (where.push('action_type = ?'), values.push(filter.actionType));
  yield* reader.db
    .prepare<string[], EntrySummary>(
      `SELECT key, bot_id, bot_version, action_type, occurrence, status, cost_usd, created_at, ${bytes || '0'} AS bytes
       FROM entries WHERE ${where.join(' AND ')} ORDER BY bot_id, action_type, created_at, key`,
    )
    .iterate(...values);
}

/** The entries of an org that match the filter, with their usage (and, for `stale`, their bot's current version). */
export function selectEntries(reader: CacheReader | undefined, org: string, filter: EntryFilter, context: SelectContext): Selection {
  const selection: Selection = { entries: [], botsNotFound: new Map() };
  if (!reader) return selection;
  if (filter.stale && !context.currentVersions) throw new Error('selectEntries: a stale filter needs the current versions of the bots');
  const olderThan = filter.olderThan === undefined ? undefined : Date.parse(filter.olderThan);
  const unusedSince = filter.unusedSince === undefined ? undefined : Date.parse(filter.unusedSince);
  for (const summary of entrySummaries(reader, org, filter)) {
    const created = Date.parse(summary.created_at);
    if (olderThan !== undefined && !(created < olderThan)) continue;
    const usage = context.usage.get(summary.key);
    if (unusedSince !== undefined && !(Date.parse(usage?.lastUsedAt ?? summary.created_at) < unusedSince)) continue;
    const entry: ListedEntry = { ...summary, hits: usage?.hits ?? 0, last_used_at: usage?.lastUsedAt ?? null };
    if (filter.stale) {
      const current = context.currentVersions!.get(summary.bot_id);
      if (current === undefined) {
        selection.botsNotFound.set(summary.bot_id, (selection.botsNotFound.get(summary.bot_id) ?? 0) + 1);
        continue;
      }
      if (current === summary.bot_version) continue;
      entry.current_version = current;
    }
    selection.entries.push(entry);
  }
  return selection;
}
