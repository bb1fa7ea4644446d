import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, jsonColumns, keyOfValue, recomputeKey } from './entry-check.js';
import { jsonText } from './export-jsonl.js';
import type { Redactor } from '../secrets/redactor.js';
import { SqliteStore } from './sqlite/store.js';
import { redactRow } from './transfer.js';
import { cacheColumns, type CacheRow, type RecordingStore } from './types.js';

export const conflictPolicies = ['keep', 'replace', 'fail'] as const;
/** What to do with an entry already in the cache whose fields differ from the export's. */
export type ConflictPolicy = (typeof conflictPolicies)[number];

/** A line refused: not JSON, a field the cache has no column for, another org, or a key its fields do not hash to. */
export interface ImportFault {
  line: number;
  key: string | null;
  /** For a key mismatch: what the line's fields hash to. */
  computedKey: string | null;
  problem: string;
}

/** An entry of the export whose key the cache already holds with different fields. */
export interface ImportConflict {
  line: number;
  key: string;
  botId: string;
  actionType: string;
}

export interface ImportReport {
  /** Lines that held an entry (blank lines are skipped). */
  entries: number;
  added: number;
  replaced: number;
  /** Conflicts left as the cache had them (--on-conflict keep). */
  kept: number;
  /** Entries the cache already held exactly so (or repeated identically in the export). */
  unchanged: number;
  /** The first faults (every fault is counted in faultCount). Any fault refuses the whole import. */
  faults: ImportFault[];
  faultCount: number;
  /** The first conflicts (all counted in conflictCount). */
  conflicts: ImportConflict[];
  conflictCount: number;
  /** Nothing was changed because of faults, or of conflicts under --on-conflict fail. */
  refused: boolean;
  /** Whether the cache was written (false when refused, for a dry run, or when nothing was new). */
  wrote: boolean;
  /** Whether the cache file was created. */
  created: boolean;
  /** Entries that held a secret, stored with it replaced (and so under a new key). */
  redacted: number;
}

export interface ImportOptions {
  /** The cache: a file is created when missing. */
  store: RecordingStore;
  /** The org the entries go to: every line must be of it. */
  org: string;
  policy: ConflictPolicy;
  /** Check and count, and change nothing. */
  dryRun?: boolean;
  /** How many faults and conflicts the report lists (all are counted). */
  reportLimit?: number;
  /** Called every 1,000 entries read. */
  onProgress?: (entries: number) => void;
  /** The redaction a recording gets (built-in patterns and cache.redact): a line holding a secret is stored redacted and re-keyed. */
  redactor?: Redactor;
}

/** Rows read, checked and written at a time: one transaction each on the staging files. */
const batchSize = 1000;

/**
 * Merges a JSON Lines export (exportJsonl's format) into the store, verifying every line's key
 * against the formula. All or nothing, without holding the export in memory:
 *
 * 1. the lines are checked as they arrive and staged in a scratch SQLite cache (a key repeated with
 *    other fields is a fault);
 * 2. the staged entries are compared with the store, a page at a time: new, identical or
 *    conflicting; what is to be written is staged again;
 * 3. only when no line is at fault (and, under `fail`, nothing conflicts) is the store written,
 *    in one transaction.
 *
 * A refused import therefore leaves the store as it was, and never creates a cache file.
 */
export async function importJsonl(lines: AsyncIterable<string>, options: ImportOptions): Promise<ImportReport> {
  const limit = options.reportLimit ?? 20;
  const report: ImportReport = {
    entries: 0,
    added: 0,
    replaced: 0,
    kept: 0,
    unchanged: 0,
    faults: [],
    faultCount: 0,
    conflicts: [],
    conflictCount: 0,
    refused: false,
    wrote: false,
    created: false,
    redacted: 0,
  };
  const { store, org } = options;
  // Start reading now: a readline interface drops the lines it reads before someone iterates it,
  // and checking a server's store takes a round trip, during which stdin may arrive whole.
  const iterator = lines[Symbol.asyncIterator]();
  const reading: AsyncIterable<string> = { [Symbol.asyncIterator]: () => iterator };
  // Refuses a store that is not a rehearse cache before any work.
  await store.check();
  const existed = await store.exists();
  const scratch = mkdtempSync(join(tmpdir(), 'rehearse-import-'));
  const staged = new SqliteStore(join(scratch, 'staged.sqlite'));
  const toWrite = new SqliteStore(join(scratch, 'to-write.sqlite'));
  try {
    const fault: Fault = (line, key, problem, computedKey = null) => {
      report.faultCount++;
      if (report.faults.length < limit) report.faults.push({ line, key: typeof key === 'string' ? key : null, computedKey, problem });
    };
    const lineOf = await stageLines(staged, reading, options, report, fault);
    if (report.faultCount > 0) return { ...report, refused: true };

    for await (const page of batches(staged.rows({ org }), batchSize)) {
      const held = new Map((await store.rowsByKey(org, page.map((row) => row.key))).map((row) => [row.key, row]));
      const writes: CacheRow[] = [];
      for (const row of page) {
        const current = held.get(row.key);
        if (!current) (report.added++, writes.push(row));
        else if (sameRow(current, row)) report.unchanged++;
        else {
          report.conflictCount++;
          if (report.conflicts.length < limit) report.conflicts.push({ line: lineOf.get(row.key) ?? 0, key: row.key, botId: row.bot_id, actionType: row.action_type });
          if (options.policy === 'replace') writes.push(row);
        }
      }
      if (writes.length) await toWrite.importRows(once(writes), 'keep');
    }
    report.conflicts.sort((a, b) => a.line - b.line);
    if (report.conflictCount > 0 && options.policy === 'fail') return { ...report, added: 0, refused: true };
    if (options.policy === 'replace') report.replaced = report.conflictCount;
    else report.kept = report.conflictCount;

    if (options.dryRun || report.added + report.replaced === 0) return report;
    const written = await store.importRows(batches(toWrite.rows({ org }), batchSize), options.policy === 'replace' ? 'replace' : 'keep');
    report.created = !existed;
    report.wrote = true;
    // Another process may have recorded one of the new keys meanwhile: its entry was kept.
    if (options.policy !== 'replace' && written < report.added) {
      report.kept += report.added - written;
      report.added = written;
    }
    return report;
  } finally {
    await staged.close();
    await toWrite.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

type Fault = (line: number, key: unknown, problem: string, computedKey?: string | null) => void;

/**
 * Checks each line and stages its entry; after the first fault it goes on checking (every fault is
 * counted) and stages nothing more. Returns the line each key was first given on (keys and numbers
 * only, for the report; the entries themselves are on disk).
 */
async function stageLines(staged: SqliteStore, lines: AsyncIterable<string>, options: ImportOptions, report: ImportReport, fault: Fault): Promise<Map<string, number>> {
  const lineOf = new Map<string, number>();
  let batch = new Map<string, { row: CacheRow; line: number }>();
  const flush = async () => {
    if (batch.size === 0) return;
    const earlier = new Map((await staged.rowsByKey(options.org, [...batch.keys()])).map((row) => [row.key, row]));
    for (const [key, { row, line }] of batch) {
      const first = earlier.get(key);
      if (!first) continue;
      batch.delete(key);
      if (sameRow(first, row)) report.unchanged++;
      else fault(line, key, `it repeats the key of line ${lineOf.get(key) ?? '?'} with different fields`);
    }
    if (report.faultCount === 0) await staged.importRows(once([...batch.values()].map((item) => item.row)), 'keep');
    batch = new Map();
  };
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber++;
    if (text.trim() === '') continue;
    report.entries++;
    if (options.onProgress && report.entries % 1000 === 0) options.onProgress(report.entries);
    const checked = checkedRow(text, lineNumber, options.org, fault);
    if (!checked || report.faultCount > 0) continue; // refused already: check the rest, stage nothing more
    const row = options.redactor ? redactRow(checked.row, checked.parameters, options.redactor) : checked.row;
    if (row !== checked.row) report.redacted++;
    const repeated = batch.get(row.key);
    if (repeated) {
      // The export holds this key twice: fine when both lines say the same.
      if (sameRow(repeated.row, row)) report.unchanged++;
      else fault(lineNumber, row.key, `it repeats the key of line ${repeated.line} with different fields`);
      continue;
    }
    batch.set(row.key, { row, line: lineNumber });
    if (!lineOf.has(row.key)) lineOf.set(row.key, lineNumber);
    if (batch.size >= batchSize) await flush();
  }
  await flush();
  options.onProgress?.(report.entries);
  return lineOf;
}

/** A line as the row it holds (and its params' value), its key checked against its fields; undefined (and a fault) when it cannot be one. */
function checkedRow(text: string, line: number, org: string, fault: Fault): { row: CacheRow; parameters: unknown } | undefined {
  const parsed = parseLine(text, line, fault);
  if (!parsed) return undefined;
  const { row, params } = parsed;
  if (row.org !== org) {
    fault(line, row.key, `it is an entry of org ${describe(row.org)}, and this import is into org "${org}" (--org)`);
    return undefined;
  }
  if (typeof row.key !== 'string') {
    fault(line, null, `its key is ${describe(row.key)}, not text`);
    return undefined;
  }
  const fields = { bot_id: row.bot_id, bot_version: row.bot_version, action_type: row.action_type, occurrence: row.occurrence };
  const check = params ? keyOfValue(fields, params.value) : recomputeKey({ ...fields, params: row.params });
  if (!check.ok) {
    fault(line, row.key, check.problem);
    return undefined;
  }
  if (check.computed !== row.key) {
    fault(line, row.key, `its key does not match its fields: they hash to ${check.computed}`, check.computed);
    return undefined;
  }
  const problem = columnProblem(row);
  if (problem) {
    fault(line, row.key, problem);
    return undefined;
  }
  return { row: row as unknown as CacheRow, parameters: check.parameters };
}

/** What a column holds that the cache cannot: a missing required field, or a value of the wrong kind. */
function columnProblem(row: Record<string, unknown>): string | undefined {
  for (const column of ['output', 'status', 'created_at'] as const) {
    if (typeof row[column] !== 'string') return `its field "${column}" is ${describe(row[column])}; the column holds text`;
  }
  for (const column of ['cost_usd', 'duration_ms', 'redacted'] as const) {
    if (typeof row[column] !== 'number') return `its field "${column}" is ${describe(row[column])}; the column holds a number`;
  }
  for (const column of ['usage', 'deltas'] as const) {
    if (row[column] !== null && typeof row[column] !== 'string') return `its field "${column}" is ${describe(row[column])}; the column holds JSON or null`;
  }
  return undefined;
}

/** Defaults of the columns a line may leave out, as a new recording would have them. */
const columnDefaults: Partial<Record<keyof CacheRow, unknown>> = { occurrence: 0, usage: null, cost_usd: 0, duration_ms: 0, deltas: null, redacted: 0 };
const knownColumns: ReadonlySet<string> = new Set(cacheColumns);

interface ParsedLine {
  /** Column values, to check before they are a CacheRow. */
  row: Record<string, unknown>;
  /** The params value, when the line gave params as JSON (not as params_raw text). */
  params: { value: unknown } | undefined;
}

/** A line as column values, or undefined (and a fault) when it cannot be one. */
function parseLine(text: string, line: number, fault: Fault): ParsedLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    fault(line, null, `it is not JSON (${(error as Error).message})`);
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    fault(line, null, `it is ${describe(value)}, not an entry object`);
    return undefined;
  }
  const fields = value as Record<string, unknown>;
  const row: Record<string, unknown> = { ...columnDefaults };
  const given = new Set<string>();
  let params: ParsedLine['params'];
  for (const [field, raw] of Object.entries(fields)) {
    let column = field;
    let bound: unknown;
    if (knownColumns.has(field)) {
      if (jsonColumns.has(field)) {
        bound = raw === null ? null : jsonText(field, raw);
        if (field === 'params' && raw !== null) params = { value: raw };
      } else if (typeof raw === 'boolean') bound = raw ? 1 : 0;
      else if (raw !== null && typeof raw === 'object') {
        fault(line, fields.key, `its field "${field}" is ${describe(raw)}; the column holds text or numbers`);
        return undefined;
      } else bound = raw;
    } else if (field.endsWith('_raw') && jsonColumns.has((column = field.slice(0, -4)))) {
      if (typeof raw !== 'string') {
        fault(line, fields.key, `its field "${field}" is ${describe(raw)}, not the column's text`);
        return undefined;
      }
      bound = raw;
    } else {
      fault(line, fields.key, `it has a field "${field}" that this cache has no column for (an export of a newer rehearse?)`);
      return undefined;
    }
    if (given.has(column)) {
      fault(line, fields.key, `it gives the column "${column}" twice`);
      return undefined;
    }
    given.add(column);
    row[column] = bound;
  }
  return { row, params };
}

/** Whether two rows hold exactly the same values. */
function sameRow(a: CacheRow, b: CacheRow): boolean {
  return cacheColumns.every((column) => a[column] === b[column]);
}

/** An async iterable in arrays of at most `size`. */
async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) (yield batch, (batch = []));
  }
  if (batch.length) yield batch;
}

async function* once<T>(batch: readonly T[]): AsyncIterable<readonly T[]> {
  yield batch;
}
