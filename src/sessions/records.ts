import { checkOrg, modeNames } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { migrate, openStateDatabase, type StateDatabase, type StateStatement } from '../state/database.js';
import { checkSessionId } from './ids.js';
import { isoTime, limitValue, sinceBound } from './time.js';
import type { InvocationRecord, RunFilter, RunStep } from './types.js';

/**
 * Invocation records in the state file: one row an invocation, its steps as JSON text. Keyed by
 * (org, id): every read names the org. Newest first is the index (org, started_at).
 */
const schemaV1 = `
CREATE TABLE IF NOT EXISTS runs (
  org TEXT NOT NULL,
  id TEXT NOT NULL,
  session_id TEXT NOT NULL,
  bot_id TEXT NOT NULL,
  bot_version TEXT NOT NULL,
  mode TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('completed', 'failed')),
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  saved_cost_usd REAL NOT NULL,
  duration_ms REAL NOT NULL,
  error TEXT,
  started_at TEXT NOT NULL,
  steps TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY (org, id)
);
CREATE INDEX IF NOT EXISTS runs_recent ON runs (org, started_at);
CREATE INDEX IF NOT EXISTS runs_by_bot ON runs (org, bot_id, started_at);
`;

export interface RunRow {
  org: string;
  id: string;
  session_id: string;
  bot_id: string;
  bot_version: string;
  mode: string;
  status: 'completed' | 'failed';
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  saved_cost_usd: number;
  duration_ms: number;
  error: string | null;
  started_at: string;
  steps: string;
}

interface ListArgs {
  org: string;
  bot: string | null;
  status: string | null;
  since: string;
  limit: number;
}

/** How many matches of an ambiguous id prefix an error lists. */
const ambiguousShown = 10;

class RunStatements {
  readonly insert: StateStatement<[RunRow]>;
  readonly list: StateStatement<[ListArgs], RunRow>;
  readonly byPrefix: StateStatement<[{ org: string; from: string; to: string; limit: number }], RunRow>;

  constructor(readonly db: StateDatabase) {
    migrate(db, 'runs', [schemaV1]);
    this.insert = db.prepare(
      `INSERT OR REPLACE INTO runs (org, id, session_id, bot_id, bot_version, mode, status, input_tokens, output_tokens, cost_usd, saved_cost_usd, duration_ms, error, started_at, steps)
       VALUES (@org, @id, @session_id, @bot_id, @bot_version, @mode, @status, @input_tokens, @output_tokens, @cost_usd, @saved_cost_usd, @duration_ms, @error, @started_at, @steps)`,
    );
    this.list = db.prepare(
      `SELECT * FROM runs WHERE org = @org AND started_at >= @since AND (@bot IS NULL OR bot_id = @bot) AND (@status IS NULL OR status = @status)
       ORDER BY started_at DESC, id DESC LIMIT @limit`,
    );
    // A prefix as a range of the primary key: [prefix, prefix + U+10FFFF) holds exactly the ids that start with it.
    this.byPrefix = db.prepare('SELECT * FROM runs WHERE org = @org AND id >= @from AND id < @to ORDER BY id LIMIT @limit');
  }
}

const prepared = new WeakMap<StateDatabase, RunStatements>();

/** The record statements on the state file's connection, prepared (and the table made) once per connection. */
function statements(statePath: string): RunStatements {
  const db = openStateDatabase(statePath);
  let found = prepared.get(db);
  if (!found) {
    found = new RunStatements(db);
    prepared.set(db, found);
  }
  return found;
}

function count(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new UsageError(`The invocation record's ${what} is ${value}; give a number of 0 or more.`);
  return value;
}

function runRow(record: InvocationRecord): RunRow {
  if (typeof record.id !== 'string' || record.id === '') throw new UsageError('An invocation record needs an id.');
  if (!(modeNames as readonly string[]).includes(record.mode)) throw new UsageError(`The invocation record's mode is "${record.mode}"; use one of: ${modeNames.join(', ')}.`);
  if (record.status !== 'completed' && record.status !== 'failed') throw new UsageError(`The invocation record's status is "${String(record.status)}"; use completed or failed.`);
  return {
    org: checkOrg(record.org),
    id: record.id,
    session_id: checkSessionId(record.sessionId),
    bot_id: record.botId,
    bot_version: record.botVersion,
    mode: record.mode,
    status: record.status,
    input_tokens: Math.round(count(record.inputTokens, 'inputTokens')),
    output_tokens: Math.round(count(record.outputTokens, 'outputTokens')),
    cost_usd: count(record.costUsd, 'costUsd'),
    saved_cost_usd: count(record.savedCostUsd, 'savedCostUsd'),
    duration_ms: count(record.durationMs, 'durationMs'),
    error: record.error,
    started_at: isoTime(record.startedAt, 'startedAt'),
    steps: JSON.stringify(record.steps ?? []),
  };
}

/** The state file's connection with the runs table in place (for reports that read it, such as usage). */
export function openRunsDatabase(statePath: string): StateDatabase {
  return statements(statePath).db;
}

/** A stored row as a record again. */
export function invocationRecord(row: RunRow): InvocationRecord {
  return {
    id: row.id,
    sessionId: row.session_id,
    org: row.org,
    botId: row.bot_id,
    botVersion: row.bot_version,
    mode: row.mode as InvocationRecord['mode'],
    status: row.status,
    inputTokens: row.input_tokens,
    outputTokens: row.output_tokens,
    costUsd: row.cost_usd,
    savedCostUsd: row.saved_cost_usd,
    durationMs: row.duration_ms,
    error: row.error,
    startedAt: row.started_at,
    steps: JSON.parse(row.steps) as RunStep[],
  };
}

/** Records one invocation (one statement, its own transaction); recording the same org and id again replaces it. */
export function recordInvocation(statePath: string, record: InvocationRecord): void {
  const row = runRow(record);
  statements(statePath).insert.run(row);
}

/** The org's invocations, newest first. */
export function listRuns(statePath: string, org: string, filter: RunFilter = {}): InvocationRecord[] {
  const rows = statements(statePath).list.all({
    org: checkOrg(org),
    bot: filter.botId ?? null,
    status: filter.status ?? null,
    since: sinceBound(filter.since),
    limit: limitValue(filter.limit),
  });
  return rows.map(invocationRecord);
}

/**
 * The org's invocation whose id starts with `idPrefix` (the whole id works too; so does the part after
 * `inv_`). Undefined when none matches; a UsageError listing the matches when more than one does.
 */
export function getRun(statePath: string, org: string, idPrefix: string): InvocationRecord | undefined {
  checkOrg(org);
  if (idPrefix === '') throw new UsageError('Give an invocation id, or its first characters.');
  const s = statements(statePath);
  const find = (prefix: string) => s.byPrefix.all({ org, from: prefix, to: `${prefix}\u{10FFFF}`, limit: ambiguousShown + 1 });
  let rows = find(idPrefix);
  if (rows.length === 0 && !idPrefix.startsWith('inv_')) rows = find(`inv_${idPrefix}`);
  if (rows.length > 1) {
    const exact = rows.find((row) => row.id === idPrefix);
    if (exact) return invocationRecord(exact);
    const listed = rows.slice(0, ambiguousShown).map((row) => `  ${row.id}  ${row.started_at}  ${row.bot_id}  ${row.status}`);
    const more = rows.length > ambiguousShown ? `\n  ... and more` : '';
    throw new UsageError(`The id prefix "${idPrefix}" matches ${rows.length > ambiguousShown ? `more than ${ambiguousShown}` : rows.length} runs in org ${org}:\n${listed.join('\n')}${more}`, {
      hint: 'Give more characters of the id (rehearse runs lists them).',
    });
  }
  return rows[0] && invocationRecord(rows[0]);
}
