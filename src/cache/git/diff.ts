import type { CacheRow, EntryQuery, RecordingStore } from '../types.js';
import { alignedRows, changedColumns, sameRow } from './entry-order.js';

export type EntryChange = 'added' | 'changed' | 'removed';

/** One entry that differs between two caches. */
export interface ChangedEntry {
  change: EntryChange;
  org: string;
  key: string;
  botId: string;
  actionType: string;
  botVersion: string;
  occurrence: number;
  /** When the entry now standing was recorded (the removed one's, for a removal). */
  createdAt: string;
  /** For a change: the columns that differ. */
  columns?: string[];
  /** A short line of the output now (for an added or changed entry). */
  output?: string;
  /** A short line of the output before (for a changed or removed entry). */
  outputBefore?: string;
}

/** The changes of one bot's action in one org. */
export interface DiffGroup {
  org: string;
  botId: string;
  actionType: string;
  added: number;
  changed: number;
  removed: number;
  entries: ChangedEntry[];
}

export interface CacheDiff {
  added: number;
  changed: number;
  removed: number;
  unchanged: number;
  /** In the order of rows(): org, bot, action. */
  groups: DiffGroup[];
}

const previewLength = 80;

/** An output as one short line: the text of a message (`content` or `text`) when it has one, else its JSON. */
export function outputPreview(output: string): string {
  let text = output;
  try {
    const value: unknown = JSON.parse(output);
    const message = value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : undefined;
    text = typeof value === 'string' ? value : typeof message?.content === 'string' ? message.content : typeof message?.text === 'string' ? message.text : output;
  } catch {
    // not JSON: shown as it is
  }
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > previewLength ? `${line.slice(0, previewLength - 3)}...` : line;
}

function changeOf(before: CacheRow | undefined, after: CacheRow | undefined): ChangedEntry | undefined {
  const row = (after ?? before)!;
  const entry = { org: row.org, key: row.key, botId: row.bot_id, actionType: row.action_type, botVersion: row.bot_version, occurrence: row.occurrence, createdAt: row.created_at };
  if (!before) return { change: 'added', ...entry, output: outputPreview(row.output) };
  if (!after) return { change: 'removed', ...entry, outputBefore: outputPreview(row.output) };
  if (sameRow(before, after)) return undefined;
  return { change: 'changed', ...entry, columns: changedColumns(before, after), output: outputPreview(after.output), outputBefore: outputPreview(before.output) };
}

/** What `after` added, changed and removed against `before`, entry by entry (by org and key), grouped by org, bot and action. */
export async function diffCaches(before: RecordingStore, after: RecordingStore, query: EntryQuery): Promise<CacheDiff> {
  const diff: CacheDiff = { added: 0, changed: 0, removed: 0, unchanged: 0, groups: [] };
  for await (const [old, now] of alignedRows([before.rows(query), after.rows(query)])) {
    const entry = changeOf(old, now);
    if (!entry) {
      diff.unchanged++;
      continue;
    }
    diff[entry.change]++;
    let group = diff.groups.at(-1);
    if (!group || group.org !== entry.org || group.botId !== entry.botId || group.actionType !== entry.actionType) {
      diff.groups.push((group = { org: entry.org, botId: entry.botId, actionType: entry.actionType, added: 0, changed: 0, removed: 0, entries: [] }));
    }
    group[entry.change]++;
    group.entries.push(entry);
  }
  return diff;
}
