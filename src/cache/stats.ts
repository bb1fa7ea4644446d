import type { UsageByOrg } from './filters.js';
import type { RecordingStore } from './types.js';

export interface StatsGroup {
  /** The bot id or action type; "total" for the sum. */
  name: string;
  entries: number;
  /** Entries replayed at least once. */
  used: number;
  /** Bytes of the entries' JSON columns. */
  bytes: number;
  hits: number;
  /** What recording the entries cost. */
  costUsd: number;
  /** What their hits would have cost live: hits x cost_usd, summed. */
  savedCostUsd: number;
}

export interface CacheStats {
  exists: boolean;
  /** The whole store on disk (every org). */
  fileBytes: number;
  total: StatsGroup;
  byBot: StatsGroup[];
  byAction: StatsGroup[];
  /** One group per org (a single one when the stats are of one org). */
  byOrg: StatsGroup[];
}

function group(name: string): StatsGroup {
  return { name, entries: 0, used: 0, bytes: 0, hits: 0, costUsd: 0, savedCostUsd: 0 };
}

/**
 * Entries, bytes, hits, recorded cost and cost saved for one org (undefined: every org), by bot, by
 * action type and by org; rows are streamed.
 */
export async function cacheStats(store: RecordingStore, org: string | undefined, usage: UsageByOrg): Promise<CacheStats> {
  const total = group('total');
  const byBot = new Map<string, StatsGroup>();
  const byAction = new Map<string, StatsGroup>();
  const byOrg = new Map<string, StatsGroup>();
  const exists = await store.exists();
  if (exists) {
    for await (const entry of store.summaries(org === undefined ? {} : { org })) {
      const hits = usage.get(entry.org)?.get(entry.key)?.hits ?? 0;
      for (const [groups, name] of [
        [byBot, entry.bot_id],
        [byAction, entry.action_type],
        [byOrg, entry.org],
      ] as const) {
        let target = groups.get(name);
        if (!target) groups.set(name, (target = group(name)));
        add(target, entry.bytes, hits, entry.cost_usd);
      }
      add(total, entry.bytes, hits, entry.cost_usd);
    }
  }
  const sorted = (groups: Map<string, StatsGroup>) => [...groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { exists, fileBytes: exists ? await store.size() : 0, total, byBot: sorted(byBot), byAction: sorted(byAction), byOrg: sorted(byOrg) };
}

function add(target: StatsGroup, bytes: number, hits: number, costUsd: number): void {
  target.entries++;
  target.bytes += bytes;
  target.hits += hits;
  if (hits > 0) target.used++;
  target.costUsd += costUsd;
  target.savedCostUsd += hits * costUsd;
}
