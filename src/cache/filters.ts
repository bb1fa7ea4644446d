import type { CacheEntryUsage } from '../state/cache-usage.js';
import type { EntrySummary, RecordingStore } from './types.js';

export type { EntrySummary };

/** Which entries of an org (or of every org) a listing, clear or prune means. Every field narrows; none means all. */
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

export interface ListedEntry extends EntrySummary {
  hits: number;
  /** ISO time of the last hit; null when never replayed (as far as this state file knows). */
  last_used_at: string | null;
  /** The bot's current version, when the filter asked for stale entries. */
  current_version?: string;
}

/** Per-entry usage from the local state file, by org and then key (a key may be recorded in several orgs). */
export type UsageByOrg = ReadonlyMap<string, ReadonlyMap<string, CacheEntryUsage>>;

export interface SelectContext {
  usage: UsageByOrg;
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
 * The entries of an org (undefined: of every org) that match the filter, with their usage (and, for
 * `stale`, their bot's current version).
 */
export async function selectEntries(store: RecordingStore, org: string | undefined, filter: EntryFilter, context: SelectContext): Promise<Selection> {
  const selection: Selection = { entries: [], botsNotFound: new Map() };
  if (filter.stale && !context.currentVersions) throw new Error('selectEntries: a stale filter needs the current versions of the bots');
  const olderThan = filter.olderThan === undefined ? undefined : Date.parse(filter.olderThan);
  const unusedSince = filter.unusedSince === undefined ? undefined : Date.parse(filter.unusedSince);
  const query = { ...(org !== undefined && { org }), ...(filter.botId !== undefined && { botId: filter.botId }), ...(filter.actionType !== undefined && { actionType: filter.actionType }) };
  for await (const summary of store.summaries(query)) {
    const created = Date.parse(summary.created_at);
    if (olderThan !== undefined && !(created < olderThan)) continue;
    const usage = context.usage.get(summary.org)?.get(summary.key);
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
