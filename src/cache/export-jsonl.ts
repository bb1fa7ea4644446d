import type { Writable } from 'node:stream';
import { jsonColumns } from './entry-check.js';
import { canonicalJson } from './key.js';
import type { CacheRow, EntryQuery, ProgressListener, RecordingStore } from './types.js';

/**
 * The export format: JSON Lines, one entry a line, in a stable order (org, bot_id, action_type, key),
 * each line an object whose fields come in a fixed order: the key's fields, then the recording, so a
 * pull request shows exactly which recordings were added, changed or removed. The JSON columns
 * (params, output, usage, deltas) are written as JSON values, not strings. Every line carries its
 * row back byte for byte on import:
 *
 * - a JSON column whose text would not come back the same from its value (params not in canonical
 *   form, the JSON text `null`, keys JSON.stringify would reorder) is written as `<column>_raw`: the text;
 * - SQL NULL is JSON null.
 */
export const exportFieldOrder = [
  'org',
  'key',
  'bot_id',
  'bot_version',
  'action_type',
  'occurrence',
  'params',
  'status',
  'output',
  'usage',
  'deltas',
  'cost_usd',
  'duration_ms',
  'created_at',
  'redacted',
] as const satisfies ReadonlyArray<keyof CacheRow>;

/** How a JSON column's value is written back to text on import. */
export function jsonText(column: string, value: unknown): string {
  return column === 'params' ? canonicalJson(value) : (JSON.stringify(value) ?? 'null');
}

/** The JSON value of a column's text, when writing that value back gives the same text; else undefined. */
function exactValue(column: string, text: string): { value: unknown } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null) return undefined; // JSON null would read back as SQL NULL
  return jsonText(column, value) === text ? { value } : undefined;
}

/** One row as its export line (without the newline). */
export function exportLine(row: CacheRow): string {
  const line: Record<string, unknown> = {};
  for (const column of exportFieldOrder) {
    const value: unknown = row[column];
    if (typeof value === 'string' && jsonColumns.has(column)) {
      const exact = exactValue(column, value);
      if (exact) line[column] = exact.value;
      else line[`${column}_raw`] = value;
    } else {
      line[column] = value === undefined ? null : value;
    }
  }
  return JSON.stringify(line);
}

/** Writes a chunk, waiting for the stream to drain when its buffer is full (a slow pipe never fills memory). */
export async function push(out: Writable, chunk: string): Promise<void> {
  if (out.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const drained = () => {
      out.off('error', failed);
      resolve();
    };
    const failed = (error: Error) => {
      out.off('drain', drained);
      reject(error);
    };
    out.once('drain', drained);
    out.once('error', failed);
  });
}

/**
 * Streams the entries to `out` as JSON Lines: the rows are read a page at a time and written
 * in chunks of about 256 KB, so memory stays flat however large the cache. Returns how many entries
 * were written, and of how many orgs.
 */
export async function exportJsonl(store: RecordingStore, query: EntryQuery, out: Writable, onProgress?: ProgressListener): Promise<{ entries: number; orgs: number }> {
  const total = onProgress ? await store.count(query) : undefined;
  let written = 0;
  let orgs = 0;
  let lastOrg: string | undefined;
  let chunk = '';
  for await (const row of store.rows(query)) {
    chunk += `${exportLine(row)}\n`;
    written++;
    // Rows come ordered by org first, so each org starts once.
    if (row.org !== lastOrg) (orgs++, (lastOrg = row.org));
    if (chunk.length >= 256 * 1024) {
      await push(out, chunk);
      chunk = '';
      onProgress?.(written, total);
    }
  }
  if (chunk) await push(out, chunk);
  onProgress?.(written, total);
  return { entries: written, orgs };
}
