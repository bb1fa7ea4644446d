import { cacheColumns, type CacheRow, type EntryQuery, type EntrySummary } from '../types.js';

/**
 * The SQL of the PostgreSQL store. Text is ordered and compared byte-wise (COLLATE "C"), so listings
 * and exports come in the same order as from the SQLite file whatever the database's locale.
 */

const columnList = cacheColumns.join(', ');

/** What a column's values are sent as, for unnest(): every row of a batch goes in one statement. */
const columnTypes: Record<(typeof cacheColumns)[number], string> = {
  org: 'text',
  key: 'text',
  bot_id: 'text',
  bot_version: 'text',
  action_type: 'text',
  params: 'text',
  occurrence: 'integer',
  output: 'text',
  status: 'text',
  usage: 'text',
  cost_usd: 'double precision',
  duration_ms: 'double precision',
  created_at: 'text',
  deltas: 'text',
  redacted: 'integer',
};


export const findOutcome = 'SELECT output, status, usage, cost_usd, created_at, deltas FROM entries WHERE org = $1 AND key = $2';
export const outcomesOfVersion =
  'SELECT key, output, status, usage, cost_usd, created_at, deltas FROM entries WHERE org = $1 AND bot_id = $2 AND bot_version = $3 LIMIT $4';
export const rowsByKey = `SELECT ${columnList} FROM entries WHERE org = $1 AND key = ANY($2::text[])`;
export const recentRows = `SELECT ${columnList} FROM entries WHERE org = $1 AND bot_id = $2 AND action_type = $3 ORDER BY created_at COLLATE "C" DESC, key COLLATE "C" LIMIT $4`;
export const rowsWithKeyPrefix = `SELECT ${columnList} FROM entries WHERE org = $1 AND starts_with(key, $2) ORDER BY key COLLATE "C" LIMIT $3`;
export const deleteRows = 'DELETE FROM entries WHERE org = $1 AND key = ANY($2::text[])';

export const findClaim = 'SELECT owner, expires_at > now() AS live FROM rehearse_claims WHERE org = $1 AND key = $2 FOR UPDATE';
export const takeClaim = `INSERT INTO rehearse_claims (org, key, owner, expires_at) VALUES ($1, $2, $3, now() + $4 * interval '1 millisecond')
  ON CONFLICT (org, key) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at`;
export const renewClaim = "UPDATE rehearse_claims SET expires_at = now() + $4 * interval '1 millisecond' WHERE org = $1 AND key = $2 AND owner = $3";
export const releaseClaim = 'DELETE FROM rehearse_claims WHERE org = $1 AND key = $2 AND owner = $3';

export const updateAll = `DO UPDATE SET ${cacheColumns
  .filter((column) => column !== 'org' && column !== 'key')
  .map((column) => `${column} = excluded.${column}`)
  .join(', ')}`;

/** INSERT of a batch given as one array per column; `onConflict` is `DO NOTHING` (write once) or updateAll. */
export function insertRows(onConflict: string): string {
  const arrays = cacheColumns.map((column, index) => `$${index + 1}::${columnTypes[column]}[]`).join(', ');
  return `INSERT INTO entries (${columnList}) SELECT * FROM unnest(${arrays}) ON CONFLICT (org, key) ${onConflict}`;
}

export function columnArrays(rows: readonly CacheRow[]): unknown[][] {
  return cacheColumns.map((column) => rows.map((row) => row[column]));
}

interface Page {
  text: string;
  values: unknown[];
}

function where(query: EntryQuery, order: readonly string[], after: Record<string, unknown> | undefined, values: unknown[]): string {
  const parts: string[] = [];
  const parameter = (value: unknown) => (values.push(value), `$${values.length}`);
  if (query.org !== undefined) parts.push(`org = ${parameter(query.org)}`);
  if (query.botId !== undefined) parts.push(`bot_id = ${parameter(query.botId)}`);
  if (query.actionType !== undefined) parts.push(`action_type = ${parameter(query.actionType)}`);
  if (after) {
    const left = order.map((column) => `${column} COLLATE "C"`).join(', ');
    const right = order.map((column) => `${parameter(after[column])}::text COLLATE "C"`).join(', ');
    parts.push(`(${left}) > (${right})`);
  }
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

const summaryOrder = ['org', 'bot_id', 'action_type', 'created_at', 'key'];
const rowOrder = ['org', 'bot_id', 'action_type', 'key'];
const orderBy = (order: readonly string[]) => order.map((column) => `${column} COLLATE "C"`).join(', ');

export function summaryPage(query: EntryQuery, after: EntrySummary | undefined, limit: number): Page {
  const values: unknown[] = [];
  const filter = where(query, summaryOrder, after as unknown as Record<string, unknown>, values);
  const bytes = ['params', 'output', 'usage', 'deltas'].map((column) => `coalesce(octet_length(${column}), 0)`).join(' + ');
  return {
    text: `SELECT org, key, bot_id, bot_version, action_type, occurrence, status, cost_usd, created_at, (${bytes})::integer AS bytes
           FROM entries ${filter} ORDER BY ${orderBy(summaryOrder)} LIMIT ${limit}`,
    values,
  };
}

export function rowPage(query: EntryQuery, after: CacheRow | undefined, limit: number): Page {
  const values: unknown[] = [];
  const filter = where(query, rowOrder, after as unknown as Record<string, unknown>, values);
  return { text: `SELECT ${columnList} FROM entries ${filter} ORDER BY ${orderBy(rowOrder)} LIMIT ${limit}`, values };
}

export function countRows(query: EntryQuery): Page {
  const values: unknown[] = [];
  return { text: `SELECT count(*) AS count FROM entries ${where(query, [], undefined, values)}`, values };
}
