import { createHash } from 'node:crypto';
import type { Writable } from 'node:stream';
import { push } from '../export-jsonl.js';
import type { CacheRow, RecordingStore } from '../types.js';
import { readableJson } from './readable-json.js';

/**
 * A recording as stable text, for git's textconv (`git diff`, `git log -p`) and for people: a header
 * line that names it (it starts at the margin, so git's hunk headers name the entry a change is in),
 * then its fields indented. The same row always gives the same text; the text of a cache lists its
 * entries in the order of rows() (org, bot, action, key), so a diff shows only what changed.
 */
export function entryText(row: CacheRow): string {
  const facts = [`version ${row.bot_version}`, `occurrence ${row.occurrence}`, row.status, `recorded ${row.created_at}`, `cost $${row.cost_usd}`, `${row.duration_ms} ms`];
  if (row.redacted) facts.push('secrets redacted');
  const lines = [`entry ${row.org} / ${row.bot_id} / ${row.action_type} / ${row.key}`, `  ${facts.join(', ')}`];
  lines.push(...jsonColumn('params', row.params), ...jsonColumn('output', row.output));
  if (row.usage !== null) lines.push(...jsonColumn('usage', row.usage));
  if (row.deltas !== null) lines.push(`  deltas: ${deltasSummary(row.deltas)}`);
  return `${lines.join('\n')}\n`;
}

/** A JSON column opened up for reading; text that is not JSON (a damaged row) shown as it is. */
function jsonColumn(name: string, text: string): string[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return [`  ${name} (not JSON): ${JSON.stringify(text)}`];
  }
  return readableJson(`${name}:`, value, 2);
}

/** The pieces of a streamed answer are its output again, cut up: their count and a hash show a change without repeating them. */
function deltasSummary(text: string): string {
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
  try {
    const pieces: unknown = JSON.parse(text);
    if (Array.isArray(pieces)) return `${pieces.length} streamed piece${pieces.length === 1 ? '' : 's'}, sha256 ${hash}`;
  } catch {
    // shown by its hash alone
  }
  return `sha256 ${hash}`;
}

/** Writes every entry of every org as text, a blank line between entries, in chunks of about 256 KB. Returns how many. */
export async function writeCacheText(store: RecordingStore, out: Writable): Promise<number> {
  let written = 0;
  let chunk = '';
  for await (const row of store.rows({})) {
    chunk += `${written > 0 ? '\n' : ''}${entryText(row)}`;
    written++;
    if (chunk.length >= 256 * 1024) (await push(out, chunk), (chunk = ''));
  }
  if (chunk) await push(out, chunk);
  return written;
}
