import type { Writable } from 'node:stream';
import type { CacheReader, EntryRecord, ProgressListener } from './cache-file.js';
import { jsonColumns } from './entry-check.js';
import { canonicalJson } from './key.js';

/**
 * The export format: JSON Lines, one entry a line, in a stable order (org, bot_id, action_type, key),
 * each line an object whose fields come in a fixed order: the key's fields, then the recording, then
 * any column this code does not know (alphabetically), so a pull request shows exactly which
 * recordings were added, changed or removed. The JSON columns (params, output, usage, deltas) are
 * written as JSON values, not strings. Every line carries its row back byte for byte on import:
 *
 * - a JSON column whose text would not come back the same from its value (params not in canonical
 *   form, the JSON text `null`, keys JSON.stringify would reorder) is written as `<column>_raw`: the text;
 * - a blob is written as `<column>_base64`;
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
] as const;

/** The file's columns in export order. */
export function exportColumns(columns: readonly string[]): string[] {
  const known: readonly string[] = exportFieldOrder;
  return [...known.filter((column) => columns.includes(column)), ...columns.filter((column) => !known.includes(column)).sort()];
}

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
export function exportLine(row: EntryRecord, columns: readonly string[]): string {
  const line: Record<string, unknown> = {};
  for (const column of columns) {
    const value = row[column];
    if (typeof value === 'string' && jsonColumns.has(column)) {
      const exact = exactValue(column, value);
      if (exact) line[column] = exact.value;
      else line[`${column}_raw`] = value;
    } else if (Buffer.isBuffer(value)) {
      line[`${column}_base64`] = value.toString('base64');
    } else {
      line[column] = value === undefined ? null : value;
    }
  }
  return JSON.stringify(line);
}

/** Writes a chunk, waiting for the stream to drain when its buffer is full (a slow pipe never fills memory). */
async function push(out: Writable, chunk: string): Promise<void> {
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

/** How many entries of the org an export writes. */
export function countEntries(reader: CacheReader, org: string): number {
  if (reader.columns.length === 0) return 0;
  return reader.db.prepare<[string], { count: number }>('SELECT count(*) AS count FROM entries WHERE org = ?').get(org)!.count;
}

/**
 * Streams the org's entries to `out` as JSON Lines: the rows are iterated one at a time and written
 * in chunks of about 256 KB, so memory stays flat however large the cache. Returns how many were written.
 */
export async function exportJsonl(reader: CacheReader, org: string, out: Writable, onProgress?: ProgressListener): Promise<number> {
  if (reader.columns.length === 0) return 0;
  const total = onProgress ? countEntries(reader, org) : undefined;
  const columns = exportColumns(reader.columns);
  const rows = reader.db.prepare<[string], EntryRecord>('SELECT * FROM entries WHERE org = ? ORDER BY org, bot_id, action_type, key').iterate(org);
  let written = 0;
  let chunk = '';
  try {
    for (const row of rows) {
      chunk += `${exportLine(row, columns)}\n`;
      written++;
      if (chunk.length >= 256 * 1024) {
        await push(out, chunk);
        chunk = '';
        onProgress?.(written, total);
      }
    }
    if (chunk) await push(out, chunk);
  } finally {
    rows.return?.();
  }
  onProgress?.(written, total);
  return written;
}
