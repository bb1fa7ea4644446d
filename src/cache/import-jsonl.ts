import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openCacheReader, prepareCacheSchema, quoted, tableColumns, writeCacheFile, type EntryRecord } from './cache-file.js';
import { describe, jsonColumns, keyOfValue, recomputeKey } from './entry-check.js';
import { jsonText } from './export-jsonl.js';

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
  /** Whether the cache file was written (false when refused, for a dry run, or when nothing was new). */
  wrote: boolean;
  /** Whether the cache file was created. */
  created: boolean;
}

export interface ImportOptions {
  /** The cache file: created when missing. */
  path: string;
  /** The org the entries go to: every line must be of it. */
  org: string;
  policy: ConflictPolicy;
  /** Check and count, and change nothing. */
  dryRun?: boolean;
  /** How many faults and conflicts the report lists (all are counted). */
  reportLimit?: number;
  /** Called every 1,000 entries read. */
  onProgress?: (entries: number) => void;
}

const lineColumn = '_import_line';
const dispositionColumn = '_import_disposition';

/**
 * Merges a JSON Lines export (exportJsonl's format) into the cache, verifying every line's key
 * against the formula. All or nothing, without holding the export in memory:
 *
 * 1. the lines are streamed into a staging file (a temporary cache of the current schema, so its
 *    constraints and defaults apply), each checked as it arrives;
 * 2. the staged entries are compared with the cache (read only) in SQL: new, identical, or conflicting;
 * 3. only when no line is at fault (and, under `fail`, nothing conflicts) is the cache opened for
 *    writing, and the new entries copied in one transaction, written as a recording writes (WAL,
 *    checkpoint, back to a rollback journal).
 *
 * A refused import therefore leaves the cache byte for byte as it was, and never creates it.
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
  };
  const targetExists = existsSync(options.path);
  // Refuses a file that is not a rehearse cache before any work, and reads its columns.
  const targetInfo = targetExists ? columnInfo(options.path) : [];

  const scratch = mkdtempSync(join(tmpdir(), 'rehearse-import-'));
  const stagePath = join(scratch, 'stage.sqlite');
  let stage: Database.Database | undefined;
  try {
    prepareCacheSchema(stagePath);
    stage = new Database(stagePath);
    stage.pragma('journal_mode = OFF');
    stage.pragma('synchronous = OFF');
    // Columns the cache has beyond the current schema (a column this code does not know) are staged too.
    const current = new Set(tableColumns(stage, 'main'));
    for (const column of targetInfo.filter((info) => !current.has(info.name))) {
      stage.exec(`ALTER TABLE entries ADD COLUMN ${quoted(column.name)} ${column.type}${column.dflt_value === null ? '' : ` DEFAULT ${column.dflt_value}`}`);
    }
    const columns = tableColumns(stage, 'main');
    const defaults = columnDefaults(stage, 'main');
    stage.exec(`ALTER TABLE entries ADD COLUMN ${lineColumn} INTEGER; ALTER TABLE entries ADD COLUMN ${dispositionColumn} TEXT NOT NULL DEFAULT 'add'`);

    const fault = (line: number, key: unknown, problem: string, computedKey: string | null = null) => {
      report.faultCount++;
      if (report.faults.length < limit) report.faults.push({ line, key: typeof key === 'string' ? key : null, computedKey, problem });
    };
    await stageLines(stage, lines, columns, defaults, options, report, fault);
    if (report.faultCount > 0) return { ...report, refused: true };

    const targetColumns = targetExists ? attachedColumns(stage, options.path) : [];
    if (targetColumns.length > 0) compareWithCache(stage, columns, targetColumns, defaults);
    const counts = new Map(
      stage
        .prepare<[], { disposition: string; count: number }>(`SELECT ${dispositionColumn} AS disposition, count(*) AS count FROM entries GROUP BY 1`)
        .all()
        .map((row) => [row.disposition, row.count]),
    );
    const added = counts.get('add') ?? 0;
    report.conflictCount = counts.get('conflict') ?? 0;
    report.unchanged += counts.get('same') ?? 0;
    report.conflicts = stage
      .prepare<[number], ImportConflict>(
        `SELECT ${lineColumn} AS line, key, bot_id AS botId, action_type AS actionType FROM entries WHERE ${dispositionColumn} = 'conflict' ORDER BY ${lineColumn} LIMIT ?`,
      )
      .all(limit);
    if (report.conflictCount > 0 && options.policy === 'fail') return { ...report, refused: true };
    report.added = added;
    if (options.policy === 'replace') report.replaced = report.conflictCount;
    else report.kept = report.conflictCount;
    stage.close();
    stage = undefined;

    if (options.dryRun || (targetExists && report.added + report.replaced === 0)) return report;
    prepareCacheSchema(options.path);
    report.created = !targetExists;
    report.wrote = true;
    const written = await copyStaged(options.path, stagePath, columns, options.policy);
    // Another process may have recorded one of the new keys meanwhile: its entry was kept.
    if (options.policy !== 'replace' && written < report.added) {
      report.kept += report.added - written;
      report.added = written;
    }
    return report;
  } finally {
    stage?.close();
    rmSync(scratch, { recursive: true, force: true });
  }
}

interface ColumnInfo {
  name: string;
  type: string;
  dflt_value: string | null;
}

/** The cache's `entries` columns with their declared types and defaults (none for an empty file). */
function columnInfo(path: string): ColumnInfo[] {
  const reader = openCacheReader(path);
  try {
    return reader?.db.prepare<[], ColumnInfo>("SELECT name, type, dflt_value FROM pragma_table_info('entries')").all() ?? [];
  } finally {
    reader?.close();
  }
}

type Fault = (line: number, key: unknown, problem: string, computedKey?: string | null) => void;

/** Streams the lines into the staging table, checking each; stops writing (not checking) at the first fault. */
async function stageLines(
  stage: Database.Database,
  lines: AsyncIterable<string>,
  columns: readonly string[],
  defaults: ReadonlyMap<string, unknown>,
  options: ImportOptions,
  report: ImportReport,
  fault: Fault,
): Promise<void> {
  const known = new Set(columns);
  const inserts = new Map<string, Database.Statement>();
  const staged = stage.prepare<[string, string], EntryRecord>('SELECT * FROM entries WHERE org = ? AND key = ?');
  const firstLine = stage.prepare<[string, string], { line: number }>(`SELECT ${lineColumn} AS line FROM entries WHERE org = ? AND key = ?`);
  let lineNumber = 0;
  stage.exec('BEGIN');
  try {
    for await (const text of lines) {
      lineNumber++;
      if (text.trim() === '') continue;
      report.entries++;
      if (options.onProgress && report.entries % 1000 === 0) options.onProgress(report.entries);
      const parsed = parseLine(text, known, lineNumber, fault);
      if (!parsed) continue;
      const { row } = parsed;
      const key = row.get('key');
      if (row.get('org') !== options.org) {
        fault(lineNumber, key, `it is an entry of org ${describe(row.get('org'))}, and this import is into org "${options.org}" (--org)`);
        continue;
      }
      if (typeof key !== 'string') {
        fault(lineNumber, null, `its key is ${describe(key)}, not text`);
        continue;
      }
      const fields = { bot_id: row.get('bot_id'), bot_version: row.get('bot_version'), action_type: row.get('action_type'), occurrence: row.get('occurrence') };
      const check = parsed.params ? keyOfValue(fields, parsed.params.value) : recomputeKey({ ...fields, params: row.get('params') });
      if (!check.ok) {
        fault(lineNumber, key, check.problem);
        continue;
      }
      if (check.computed !== key) {
        fault(lineNumber, key, `its key does not match its fields: they hash to ${check.computed}`, check.computed);
        continue;
      }
      if (report.faultCount > 0) continue; // refused already: check the rest, write nothing more
      const given = [...row.keys()];
      const signature = given.join('\u0000');
      let insert = inserts.get(signature);
      if (!insert) {
        insert = stage.prepare(
          `INSERT INTO entries (${[...given, lineColumn].map(quoted).join(', ')}) VALUES (${[...given, lineColumn].map(() => '?').join(', ')}) ON CONFLICT (org, key) DO NOTHING`,
        );
        inserts.set(signature, insert);
      }
      try {
        if (insert.run(...row.values(), lineNumber).changes === 1) continue;
      } catch (error) {
        fault(lineNumber, key, `its fields do not fit the cache: ${(error as Error).message}`);
        continue;
      }
      // The export holds this key twice: fine when both lines say the same.
      if (sameEntry(staged.get(options.org, key)!, row, columns, defaults)) report.unchanged++;
      else fault(lineNumber, key, `it repeats the key of line ${firstLine.get(options.org, key)!.line} with different fields`);
    }
    stage.exec('COMMIT');
  } finally {
    if (stage.inTransaction) stage.exec('ROLLBACK');
  }
  options.onProgress?.(report.entries);
}

interface ParsedLine {
  /** Column values ready to bind. */
  row: Map<string, unknown>;
  /** The params value, when the line gave params as JSON (not as params_raw text). */
  params: { value: unknown } | undefined;
}

/** A line as column values ready to bind, or undefined (and a fault) when it cannot be one. */
function parseLine(text: string, known: ReadonlySet<string>, line: number, fault: Fault): ParsedLine | undefined {
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
  const row = new Map<string, unknown>();
  let params: ParsedLine['params'];
  for (const [field, raw] of Object.entries(fields)) {
    let column = field;
    let bound: unknown;
    if (known.has(field)) {
      if (jsonColumns.has(field)) {
        bound = raw === null ? null : jsonText(field, raw);
        if (field === 'params' && raw !== null) params = { value: raw };
      }
      else if (typeof raw === 'boolean') bound = raw ? 1 : 0;
      else if (raw !== null && typeof raw === 'object') {
        fault(line, fields.key, `its field "${field}" is ${describe(raw)}; the column holds text or numbers`);
        return undefined;
      } else bound = raw;
    } else if (field.endsWith('_raw') && jsonColumns.has((column = field.slice(0, -4))) && known.has(column)) {
      if (typeof raw !== 'string') {
        fault(line, fields.key, `its field "${field}" is ${describe(raw)}, not the column's text`);
        return undefined;
      }
      bound = raw;
    } else if (field.endsWith('_base64') && known.has((column = field.slice(0, -7)))) {
      if (typeof raw !== 'string') {
        fault(line, fields.key, `its field "${field}" is ${describe(raw)}, not base64 text`);
        return undefined;
      }
      bound = Buffer.from(raw, 'base64');
    } else {
      fault(line, fields.key, `it has a field "${field}" that this cache has no column for (an export of a newer rehearse?)`);
      return undefined;
    }
    if (row.has(column)) {
      fault(line, fields.key, `it gives the column "${column}" twice`);
      return undefined;
    }
    row.set(column, bound);
  }
  return { row, params };
}

/** Whether a stored row holds exactly these values, a column the line leaves out holding its default. */
function sameEntry(stored: EntryRecord, row: ReadonlyMap<string, unknown>, columns: readonly string[], defaults: ReadonlyMap<string, unknown>): boolean {
  return columns.every((column) => sameValue(stored[column], row.has(column) ? row.get(column) : defaults.get(column)));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  return a === b || (a === null && b === undefined) || (a === undefined && b === null);
}

/** Each column's default as a value (null where it has none), for comparing rows a line left columns out of. */
function columnDefaults(db: Database.Database, schema: string): Map<string, unknown> {
  const rows = db.prepare<[], { name: string; dflt_value: string | null }>(`SELECT name, dflt_value FROM pragma_table_info('entries', '${schema}')`).all();
  return new Map(rows.map((row) => [row.name, row.dflt_value === null ? null : db.prepare<[], { value: unknown }>(`SELECT ${row.dflt_value} AS value`).get()!.value]));
}

/** Attaches the cache read-only in effect (only SELECTs run on it) and returns its columns; none when it has no entries table. */
function attachedColumns(stage: Database.Database, path: string): string[] {
  stage.prepare('ATTACH DATABASE ? AS target').run(path);
  return tableColumns(stage, 'target');
}

/**
 * Marks each staged entry the cache already holds as `same` or `conflict`, column by column. A column
 * the cache's older schema lacks compares as the default it will read as once upgraded.
 */
function compareWithCache(stage: Database.Database, columns: readonly string[], targetColumns: readonly string[], defaults: ReadonlyMap<string, unknown>): void {
  const present = new Set(targetColumns);
  const differs = columns
    .filter((column) => column !== 'org' && column !== 'key')
    .map((column) => {
      const name = quoted(column);
      return present.has(column) ? `s.${name} IS NOT t.${name}` : `s.${name} IS NOT ${sqlLiteral(defaults.get(column))}`;
    })
    .join(' OR ');
  stage.exec(
    `UPDATE main.entries AS s SET ${dispositionColumn} = CASE WHEN ${differs || '0'} THEN 'conflict' ELSE 'same' END
     FROM target.entries AS t WHERE t.org = s.org AND t.key = s.key`,
  );
  stage.exec('DETACH DATABASE target');
}

function sqlLiteral(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return String(value);
  return `'${String(value).replace(/'/g, "''")}'`;
}

/** Copies the staged new (and, under replace, conflicting) entries into the cache in one transaction; returns the rows written. */
async function copyStaged(path: string, stagePath: string, columns: readonly string[], policy: ConflictPolicy): Promise<number> {
  return writeCacheFile(path, (db) => {
    db.prepare('ATTACH DATABASE ? AS stage').run(stagePath);
    try {
      const list = columns.map(quoted).join(', ');
      const copy =
        policy === 'replace'
          ? db.prepare(
              `INSERT INTO main.entries (${list}) SELECT ${list} FROM stage.entries WHERE ${dispositionColumn} IN ('add', 'conflict') ORDER BY ${lineColumn}
               ON CONFLICT (org, key) DO UPDATE SET ${columns
                 .filter((column) => column !== 'org' && column !== 'key')
                 .map((column) => `${quoted(column)} = excluded.${quoted(column)}`)
                 .join(', ')}`,
            )
          : db.prepare(
              `INSERT INTO main.entries (${list}) SELECT ${list} FROM stage.entries WHERE ${dispositionColumn} = 'add' ORDER BY ${lineColumn}
               ON CONFLICT (org, key) DO NOTHING`,
            );
      return db.transaction(() => copy.run().changes).immediate();
    } finally {
      db.exec('DETACH DATABASE stage');
    }
  });
}
