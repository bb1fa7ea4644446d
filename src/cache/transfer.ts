import { canonicalJson } from './key.js';
import { recomputeKey } from './entry-check.js';
import type { Redactor } from '../secrets/redactor.js';
import type { CacheRow, EntryQuery, RecordingStore } from './types.js';

/** Rows moved at a time. */
const batchSize = 1000;

export interface TransferReport {
  /** Rows read from the source that the filters kept. */
  considered: number;
  /** Rows the target did not have, now written. */
  added: number;
  /** Rows the target already held (recordings are written once: its own stand). */
  kept: number;
  /** Rows left out because their bot version is not the bot's current one (pull without --all-versions). */
  notCurrent: number;
  /** Rows of bots the config does not lead to, whose current version is unknown: taken, every version. */
  unknownBots: number;
  /** Push: rows whose key does not match their fields (refused, like an import's). */
  refused: Array<{ org: string; key: string; problem: string }>;
  /** Push: rows whose params or output held a secret, replaced before they were sent (and so re-keyed). */
  redacted: number;
}

export interface TransferOptions {
  query: EntryQuery;
  /** Pull: each bot's current version, by bot id; rows of its other versions are left out (a bot not in it is taken whole). Undefined: every version. */
  currentVersions?: ReadonlyMap<string, string>;
  /** Push: the redaction every recording gets before it is written. */
  redactor?: Redactor;
}

function report(): TransferReport {
  return { considered: 0, added: 0, kept: 0, notCurrent: 0, unknownBots: 0, refused: [], redacted: 0 };
}

/**
 * Copies recordings from `source` into `target`, written once (what the target holds stands). Pull
 * (team store -> file) keeps only current bot versions unless told otherwise; push (file -> team
 * store) recomputes every key and applies the redaction, so a file edited by hand, or recorded
 * before a pattern was added, cannot put a wrong key or a secret into the team's store.
 */
export async function transferRecordings(source: RecordingStore, target: RecordingStore, options: TransferOptions): Promise<TransferReport> {
  const result = report();
  async function* batches(): AsyncIterable<CacheRow[]> {
    let batch: CacheRow[] = [];
    for await (const row of source.rows(options.query)) {
      if (options.currentVersions) {
        const current = options.currentVersions.get(row.bot_id);
        if (current === undefined) result.unknownBots++;
        else if (current !== row.bot_version) {
          result.notCurrent++;
          continue;
        }
      }
      const checked = options.redactor ? checkedForPush(row, options.redactor, result) : row;
      if (!checked) continue;
      result.considered++;
      batch.push(checked);
      if (batch.length >= batchSize) (yield batch, (batch = []));
    }
    if (batch.length) yield batch;
  }
  result.added = await target.importRows(batches(), 'keep');
  result.kept = result.considered - result.added;
  return result;
}

/** A row as push sends it: its key checked against its fields, secrets replaced and the key recomputed; undefined when refused. */
function checkedForPush(row: CacheRow, redactor: Redactor, result: TransferReport): CacheRow | undefined {
  const check = recomputeKey(row);
  const problem = !check.ok ? check.problem : check.computed !== row.key ? `its key does not match its fields: they hash to ${check.computed}` : undefined;
  if (problem || !check.ok) {
    result.refused.push({ org: row.org, key: row.key, problem: problem ?? 'unreadable' });
    return undefined;
  }
  const redacted = redactRow(row, check.parameters, redactor);
  if (redacted !== row) result.redacted++;
  return redacted;
}

/**
 * The row with every secret in its params, output and stream pieces replaced, and its key
 * recomputed from the redacted params (as a recording is keyed); the row itself when it holds none.
 * `parameters` is the params' value (parsed once by the caller's key check).
 */
export function redactRow(row: CacheRow, parameters: unknown, redactor: Redactor): CacheRow {
  const secretIn = (text: string | null) => text !== null && redactor.matches(text);
  if (!secretIn(row.params) && !secretIn(row.output) && !secretIn(row.deltas)) return row;
  const scrubbed: CacheRow = {
    ...row,
    params: canonicalJson(redactor.scrub(parameters)),
    output: JSON.stringify(redactor.scrub(JSON.parse(row.output) as unknown)),
    deltas: row.deltas === null ? null : JSON.stringify(redactor.scrub(JSON.parse(row.deltas) as unknown)),
    redacted: 1,
  };
  const rekeyed = recomputeKey(scrubbed);
  return rekeyed.ok ? { ...scrubbed, key: rekeyed.computed } : scrubbed;
}
