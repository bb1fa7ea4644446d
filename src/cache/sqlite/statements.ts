import type Database from 'better-sqlite3';
import { cacheColumns, type CacheRow, type EntryQuery, type EntrySummary } from '../types.js';
import { columnOrDefault, laterColumns, type FileShape, type LaterColumn } from './schema.js';

/** The SQL of the SQLite store, one statement or builder each. Rows bind by column name (@org, @key, ...). */

const columnList = cacheColumns.join(', ');

export const insertRow = `INSERT INTO entries (${columnList}) VALUES (${cacheColumns.map((column) => `@${column}`).join(', ')}) ON CONFLICT (org, key) DO NOTHING`;

export const upsertRow = insertRow.replace(
  'DO NOTHING',
  `DO UPDATE SET ${cacheColumns
    .filter((column) => column !== 'org' && column !== 'key')
    .map((column) => `${column} = excluded.${column}`)
    .join(', ')}`,
);

export const deleteRow = 'DELETE FROM entries WHERE org = ? AND key = ?';
/** Every column, a column this file predates read as its default. */
function rowColumns(shape: FileShape): string {
  return cacheColumns.map((column) => (column in laterColumns ? columnOrDefault(shape, column as LaterColumn) : column)).join(', ');
}

export function findOutcome(shape: FileShape): string {
  return `SELECT output, status, usage, cost_usd, created_at, ${columnOrDefault(shape, 'deltas')} FROM entries WHERE org = ? AND key = ?`;
}

export function rowsByKey(shape: FileShape, keys: number): string {
  return `SELECT ${rowColumns(shape)} FROM entries WHERE org = ? AND key IN (${Array(keys).fill('?').join(', ')})`;
}

export function recentRows(shape: FileShape): string {
  return `SELECT ${rowColumns(shape)} FROM entries WHERE org = ? AND bot_id = ? AND action_type = ? ORDER BY created_at DESC, key LIMIT ?`;
}

export function rowsWithKeyPrefix(shape: FileShape): string {
  return `SELECT ${rowColumns(shape)} FROM entries WHERE org = ? AND key >= ? AND key < ? ORDER BY key LIMIT ?`;
}

/** WHERE for a query, and after the row a page ended on (keyset paging over `order`). */
function where(query: EntryQuery, order: readonly string[], after: Record<string, unknown> | undefined): { sql: string; values: unknown[] } {
  const parts: string[] = [];
  const values: unknown[] = [];
  if (query.org !== undefined) (parts.push('org = ?'), values.push(query.org));
  if (query.botId !== undefined) (parts.push('bot_id = ?'), values.push(query.botId));
  if (query.actionType !== undefined) (parts.push('action_type = ?'), values.push(query.actionType));
  if (after) (parts.push(`(${order.join(', ')}) > (${order.map(() => '?').join(', ')})`), values.push(...order.map((column) => after[column])));
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', values };
}

const summaryOrder = ['org', 'bot_id', 'action_type', 'created_at', 'key'];
const rowOrder = ['org', 'bot_id', 'action_type', 'key'];

export function summaryPage(db: Database.Database, shape: FileShape, query: EntryQuery, after: EntrySummary | undefined, limit: number): EntrySummary[] {
  const json = ['params', 'output', 'usage', ...(shape.missingColumns.has('deltas') ? [] : ['deltas'])];
  const bytes = json.map((column) => `coalesce(length(CAST(${column} AS BLOB)), 0)`).join(' + ');
  const filter = where(query, summaryOrder, after as unknown as Record<string, unknown>);
  return db
    .prepare<unknown[], EntrySummary>(
      `SELECT org, key, bot_id, bot_version, action_type, occurrence, status, cost_usd, created_at, ${bytes} AS bytes
       FROM entries ${filter.sql} ORDER BY ${summaryOrder.join(', ')} LIMIT ${limit}`,
    )
    .all(...filter.values);
}

export function rowPage(db: Database.Database, shape: FileShape, query: EntryQuery, after: CacheRow | undefined, limit: number): CacheRow[] {
  const filter = where(query, rowOrder, after as unknown as Record<string, unknown>);
  return db.prepare<unknown[], CacheRow>(`SELECT ${rowColumns(shape)} FROM entries ${filter.sql} ORDER BY ${rowOrder.join(', ')} LIMIT ${limit}`).all(...filter.values);
}

export function countRows(db: Database.Database, query: EntryQuery): number {
  const filter = where(query, [], undefined);
  return db.prepare<unknown[], { count: number }>(`SELECT count(*) AS count FROM entries ${filter.sql}`).get(...filter.values)!.count;
}
