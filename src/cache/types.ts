/** One row of table `entries`, as stored: JSON columns stay text until someone needs them. */
export interface CacheRow {
  org: string;
  key: string;
  bot_id: string;
  bot_version: string;
  action_type: string;
  /** The normalised params as stable JSON: exactly what was hashed. */
  params: string;
  occurrence: number;
  /** JSON text. */
  output: string;
  status: 'success' | 'error';
  /** JSON text of { input_tokens, output_tokens }, or null. */
  usage: string | null;
  cost_usd: number;
  duration_ms: number;
  /** ISO 8601. */
  created_at: string;
  /** JSON text of the pieces a streamed call arrived in, or null when it was not streamed. */
  deltas: string | null;
  /** 1 when secrets were replaced in the params or the output before the entry was written. */
  redacted: number;
}

/** The columns of `entries`, in table order. */
export const cacheColumns = [
  'org',
  'key',
  'bot_id',
  'bot_version',
  'action_type',
  'params',
  'occurrence',
  'output',
  'status',
  'usage',
  'cost_usd',
  'duration_ms',
  'created_at',
  'deltas',
  'redacted',
] as const satisfies ReadonlyArray<keyof CacheRow>;

/** The columns a replay hit needs; reading only these keeps the large `params` text off the hot path. */
export type StoredOutcome = Pick<CacheRow, 'output' | 'status' | 'usage' | 'cost_usd' | 'deltas' | 'created_at'>;

/** An entry without its large columns: what listings, stats and deletions need. */
export interface EntrySummary {
  org: string;
  key: string;
  bot_id: string;
  bot_version: string;
  action_type: string;
  occurrence: number;
  status: string;
  cost_usd: number;
  created_at: string;
  /** Bytes of its JSON columns (params, output, usage, deltas). */
  bytes: number;
}

/** Which entries a listing, count or iteration means. Every field narrows. */
export interface EntryQuery {
  /** One org; undefined: every org (verify, and maintenance that says so). */
  org?: string;
  botId?: string;
  actionType?: string;
}

/** What an import does with an entry the store already holds with other fields. */
export type ImportWrite = 'keep' | 'replace';

/** Called as a long operation advances: `done` rows of `total`, when it is known. */
export type ProgressListener = (done: number, total?: number) => void;

/**
 * A claim on one missing key: while it is held (and renewed), other recorders of the key wait for
 * its recording instead of making the same live call. It lapses when not renewed (its owner died).
 */
export interface Claim {
  org: string;
  key: string;
  /** Who holds it: host, process and a random part, so a claim is never mistaken for another's. */
  owner: string;
}

/** The answer to a claim: ours, or held by another recorder that is still alive. */
export type ClaimResult = { claimed: true; claim: Claim } | { claimed: false; owner: string };

/**
 * Everything done to recordings goes through a store: the replay path, the strict-miss diff and
 * every `rehearse cache` command. Asynchronous, so a network store fits; every call names the org,
 * so no caller can forget it. One contract suite (test/cache/store-contract.ts) runs against each
 * store. The flows built on these (single flight, nearest recording, stats, export, import,
 * verify) live beside it and are the same for every store.
 */
export interface RecordingStore {
  /** Where the recordings are, for messages: a file path, or a URL without its password. */
  readonly location: string;
  /** Refuses a store it cannot use (not a rehearse cache, a newer schema) before anything runs. */
  check(): Promise<void>;
  /** Whether the store holds a cache yet (a file that exists; a database with the table). */
  exists(): Promise<boolean>;
  /**
   * Why recordings may not be written here (a replay-only role, a read-only file or folder), in words a
   * user acts on; undefined when they may. Asked before a miss's live call, so nothing is paid for a
   * recording that could not be kept.
   */
  whyReadOnly(): Promise<string | undefined>;
  /**
   * Optional: readies lookups of one bot version before an invocation's calls (a network store
   * loads its recordings in one round trip instead of one per call).
   */
  prepareFor?(org: string, botId: string, botVersion: string): Promise<void>;
  find(org: string, key: string): Promise<StoredOutcome | undefined>;
  /** Whole rows of these keys of one org; keys it does not hold are left out. */
  rowsByKey(org: string, keys: readonly string[]): Promise<CacheRow[]>;
  /**
   * Write-once: inserts the row unless its (org, key) is present, and releases `claim` in the same
   * write. Resolves to the outcome that stands: this row's, or the first recorder's.
   */
  record(row: CacheRow, claim?: Claim): Promise<{ stored: StoredOutcome; inserted: boolean }>;
  /** Writes the row over any entry of its (org, key): a refresh, or an expired recording. */
  replace(row: CacheRow): Promise<void>;
  /** The newest rows of one bot and action, newest first: the strict-miss diff's candidates. */
  recent(org: string, botId: string, actionType: string, limit: number): Promise<CacheRow[]>;
  /** Entries without params and output, ordered by org, bot, action type, time recorded and key. */
  summaries(query: EntryQuery): AsyncIterable<EntrySummary>;
  /** Whole rows, ordered by org, bot, action type and key (the export order), read in pages. */
  rows(query: EntryQuery): AsyncIterable<CacheRow>;
  /** Rows of one org whose key starts with `prefix`, by key, at most `limit`. */
  rowsWithKeyPrefix(org: string, prefix: string, limit: number): Promise<CacheRow[]>;
  count(query: EntryQuery): Promise<number>;
  /** Deletes these entries of one org in one write; resolves to how many were there. */
  delete(org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number>;
  /**
   * Writes rows all or nothing, in one transaction: absent keys are added, present ones kept or
   * replaced. Resolves to how many rows were written.
   */
  importRows(batches: AsyncIterable<readonly CacheRow[]>, write: ImportWrite): Promise<number>;
  /** The engine's own check of its storage: ['ok'], or what it found (at most `limit` messages). */
  integrity(limit: number): Promise<string[]>;
  /** Bytes the recordings take on disk. */
  size(): Promise<number>;
  /** Claims a missing key for one recorder; a lapsed claim, or one whose owner died, is taken over. */
  claim(org: string, key: string, leaseMs: number): Promise<ClaimResult>;
  /** Extends a held claim; false when it was lost (it lapsed and another recorder took it). */
  renew(claim: Claim, leaseMs: number): Promise<boolean>;
  /** Gives a claim up without recording (the live call failed). */
  release(claim: Claim): Promise<void>;
  /** Waits for writes under way, then closes. Safe to call twice. */
  close(): Promise<void>;
}
