import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { isRehearseError } from '../errors.js';
import { cacheFileBytes, tableColumns, type EntryRecord, type ProgressListener } from './cache-file.js';
import { describe, jsonColumns, recomputeKey } from './entry-check.js';
import { SqliteCacheBackend } from './sqlite-backend.js';

export type FaultKind =
  /** The file is missing, is not SQLite, or SQLite stopped reading it. */
  | 'unreadable'
  /** PRAGMA integrity_check found damage. */
  | 'integrity'
  /** SQLite, but not a rehearse cache, or one of a newer schema. */
  | 'format'
  /** A row's key is not what its fields hash to. */
  | 'key-mismatch'
  /** A row's fields cannot be hashed (params not JSON, occurrence not a whole number, ...). */
  | 'row-invalid'
  /** params parses, but is not the canonical JSON that was hashed. */
  | 'params-not-canonical'
  /** output, usage or deltas is not JSON. */
  | 'json-invalid';

export interface VerifyFault {
  kind: FaultKind;
  org?: string;
  key?: string;
  computedKey?: string;
  botId?: string;
  actionType?: string;
  detail: string;
}

export interface VerifyReport {
  path: string;
  /** The org whose entries were checked; undefined when every org was. */
  org: string | undefined;
  fileBytes: number;
  /** "ok", or what integrity_check said (its first messages); null when it could not run. */
  integrity: string[] | null;
  /** Entries whose keys were recomputed. */
  entriesChecked: number;
  faultCount: number;
  faultsByKind: Partial<Record<FaultKind, number>>;
  /** The first faults; all are counted. */
  faults: VerifyFault[];
}

export interface VerifyOptions {
  /** Only this org's entries have their keys recomputed (the integrity check covers the whole file). Undefined: every org. */
  org?: string;
  reportLimit?: number;
  onProgress?: ProgressListener;
}

/**
 * Checks a cache file: SQLite's integrity check over the whole file, the rehearse format, then every
 * entry's key recomputed from its own fields (and its JSON columns parsed). Never throws on a damaged
 * file: a file that is truncated, not SQLite or not a cache is a fault in the report. Read only.
 */
export function verifyCache(path: string, options: VerifyOptions = {}): VerifyReport {
  const limit = options.reportLimit ?? 20;
  const report: VerifyReport = {
    path,
    org: options.org,
    fileBytes: existsSync(path) ? cacheFileBytes(path) : 0,
    integrity: null,
    entriesChecked: 0,
    faultCount: 0,
    faultsByKind: {},
    faults: [],
  };
  const fault = (item: VerifyFault) => {
    report.faultCount++;
    report.faultsByKind[item.kind] = (report.faultsByKind[item.kind] ?? 0) + 1;
    if (report.faults.length < limit) report.faults.push(item);
  };
  if (!existsSync(path)) {
    fault({ kind: 'unreadable', detail: 'the file does not exist' });
    return report;
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
  } catch (error) {
    fault({ kind: 'unreadable', detail: `SQLite cannot open it: ${(error as Error).message}` });
    return report;
  }
  try {
    try {
      const rows = db.pragma(`integrity_check(${Math.max(1, limit)})`) as Array<{ integrity_check: string }>;
      report.integrity = rows.map((row) => row.integrity_check);
      if (!(report.integrity.length === 1 && report.integrity[0] === 'ok')) {
        for (const message of report.integrity) fault({ kind: 'integrity', detail: message });
      }
    } catch (error) {
      fault({ kind: 'unreadable', detail: `SQLite cannot read it: ${(error as Error).message}` });
      return report;
    }
    try {
      const backend = new SqliteCacheBackend(path);
      try {
        backend.check();
      } finally {
        backend.close();
      }
    } catch (error) {
      fault({ kind: 'format', detail: isRehearseError(error) ? error.message : (error as Error).message });
      return report;
    }
    if (tableColumns(db, 'main').length === 0) return report; // an empty file: a cache with nothing recorded yet
    checkEntries(db, options, report, fault);
  } finally {
    db.close();
  }
  return report;
}

function checkEntries(db: Database.Database, options: VerifyOptions, report: VerifyReport, fault: (item: VerifyFault) => void): void {
  const where = options.org === undefined ? '' : 'WHERE org = ?';
  const values = options.org === undefined ? [] : [options.org];
  let total: number | undefined;
  try {
    total = options.onProgress ? db.prepare<unknown[], { count: number }>(`SELECT count(*) AS count FROM entries ${where}`).get(...values)!.count : undefined;
    for (const row of db.prepare<unknown[], EntryRecord>(`SELECT * FROM entries ${where} ORDER BY org, key`).iterate(...values)) {
      checkRow(row, fault);
      report.entriesChecked++;
      if (options.onProgress && report.entriesChecked % 1000 === 0) options.onProgress(report.entriesChecked, total);
    }
  } catch (error) {
    fault({ kind: 'unreadable', detail: `reading the entries stopped after ${report.entriesChecked}: ${(error as Error).message}` });
  }
  options.onProgress?.(report.entriesChecked, total);
}

function checkRow(row: EntryRecord, fault: (item: VerifyFault) => void): void {
  const where = {
    org: String(row.org),
    key: String(row.key),
    ...(typeof row.bot_id === 'string' && { botId: row.bot_id }),
    ...(typeof row.action_type === 'string' && { actionType: row.action_type }),
  };
  const check = recomputeKey({ bot_id: row.bot_id, bot_version: row.bot_version, action_type: row.action_type, params: row.params, occurrence: row.occurrence });
  if (!check.ok) {
    fault({ kind: 'row-invalid', ...where, detail: check.problem });
    return;
  }
  if (check.computed !== row.key) {
    fault({ kind: 'key-mismatch', ...where, computedKey: check.computed, detail: `the key is ${describe(row.key)} but the fields hash to ${check.computed}` });
  }
  if (!check.canonical) fault({ kind: 'params-not-canonical', ...where, detail: 'params is not the canonical JSON of its value (what the key hashed)' });
  for (const column of jsonColumns) {
    const value = row[column];
    if (column === 'params' || value === null || value === undefined) continue;
    if (typeof value !== 'string') {
      fault({ kind: 'json-invalid', ...where, detail: `${column} is ${describe(value)}, not JSON text` });
      continue;
    }
    try {
      JSON.parse(value);
    } catch (error) {
      fault({ kind: 'json-invalid', ...where, detail: `${column} is not JSON (${(error as Error).message})` });
    }
  }
}
