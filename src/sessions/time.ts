import { UsageError } from '../errors.js';
import type { Since } from './types.js';

/** A time as stored: ISO 8601 in UTC, so that text order is time order. */
export function isoTime(value: string | number | Date, what: string): string {
  const time = value instanceof Date ? value.getTime() : typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(time)) throw new UsageError(`${what} is "${String(value)}", which is not a time: give ISO 8601 text (2025-01-31 or 2025-01-31T12:00:00Z) or milliseconds since the epoch.`);
  return new Date(time).toISOString();
}

/** The lower bound of a `since` filter as stored text; '' (before everything) when there is none. */
export function sinceBound(since: Since | undefined): string {
  return since === undefined ? '' : isoTime(since, 'since');
}

/** A `limit` for SQLite: a positive whole number, or -1 (no limit) when left out. */
export function limitValue(limit: number | undefined): number {
  if (limit === undefined) return -1;
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`limit is ${Number.isNaN(limit) ? "not a number" : limit}; give a whole number above 0.`);
  return limit;
}
