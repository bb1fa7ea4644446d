import { isRehearseError } from '../errors.js';
import { describe, jsonColumns, recomputeKey } from './entry-check.js';
import type { CacheRow, EntryQuery, ProgressListener, RecordingStore } from './types.js';

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
  /** How many orgs those entries belong to. */
  orgsChecked: number;
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

/** What the engine itself said, under rehearse's wording of it. */
function engineMessage(error: unknown): string {
  const cause = (error as Error).cause;
  return cause instanceof Error ? cause.message : problemOf(error);
}

/** The message of what a store threw, as a fault says it. */
function problemOf(error: unknown): string {
  return isRehearseError(error) ? error.message : (error as Error).message;
}

/**
 * Checks a cache: the engine's integrity check over all of it, the rehearse format, then every
 * entry's key recomputed from its own fields (and its JSON columns parsed). Never throws on a
 * damaged cache: a file that is truncated, not SQLite or not a cache is a fault in the report.
 * Writes nothing (but for rolling back a write a crash interrupted, as every open does).
 */
export async function verifyCache(store: RecordingStore, options: VerifyOptions = {}): Promise<VerifyReport> {
  const limit = options.reportLimit ?? 20;
  const report: VerifyReport = {
    path: store.location,
    org: options.org,
    fileBytes: await store.size(),
    integrity: null,
    entriesChecked: 0,
    orgsChecked: 0,
    faultCount: 0,
    faultsByKind: {},
    faults: [],
  };
  const fault = (item: VerifyFault) => {
    report.faultCount++;
    report.faultsByKind[item.kind] = (report.faultsByKind[item.kind] ?? 0) + 1;
    if (report.faults.length < limit) report.faults.push(item);
  };
  if (!(await store.exists())) {
    fault({ kind: 'unreadable', detail: 'the file does not exist' });
    return report;
  }
  try {
    report.integrity = await store.integrity(limit);
    if (!(report.integrity.length === 1 && report.integrity[0] === 'ok')) {
      for (const message of report.integrity) fault({ kind: 'integrity', detail: message });
    }
  } catch (error) {
    fault({ kind: 'unreadable', detail: `SQLite cannot read it: ${engineMessage(error)}` });
    return report;
  }
  try {
    await store.check();
  } catch (error) {
    fault({ kind: isRehearseError(error) && error.code === 'CACHE_FILE_INVALID' && !(error.cause instanceof Error) ? 'format' : 'unreadable', detail: problemOf(error) });
    return report;
  }
  await checkEntries(store, options, report, fault);
  return report;
}

async function checkEntries(store: RecordingStore, options: VerifyOptions, report: VerifyReport, fault: (item: VerifyFault) => void): Promise<void> {
  const query: EntryQuery = options.org === undefined ? {} : { org: options.org };
  let total: number | undefined;
  let lastOrg: unknown;
  try {
    total = options.onProgress ? await store.count(query) : undefined;
    for await (const row of store.rows(query)) {
      checkRow(row, fault);
      report.entriesChecked++;
      // Rows come ordered by org first, so each org starts once.
      if (report.orgsChecked === 0 || row.org !== lastOrg) (report.orgsChecked++, (lastOrg = row.org));
      if (options.onProgress && report.entriesChecked % 1000 === 0) options.onProgress(report.entriesChecked, total);
    }
  } catch (error) {
    fault({ kind: 'unreadable', detail: `reading the entries stopped after ${report.entriesChecked}: ${problemOf(error)}` });
  }
  options.onProgress?.(report.entriesChecked, total);
}

function checkRow(row: CacheRow, fault: (item: VerifyFault) => void): void {
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
    const value: unknown = row[column as keyof CacheRow];
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
