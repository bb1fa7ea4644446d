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

/** The columns a replay hit needs; reading only these keeps the large `params` text off the hot path. */
export type StoredOutcome = Pick<CacheRow, 'output' | 'status' | 'usage' | 'cost_usd' | 'deltas' | 'created_at'>;

export interface CacheListFilter {
  botId?: string;
  actionType?: string;
  /** Most recent first; at most this many rows. */
  limit?: number;
}

/**
 * What a cache backend does; the replay flow (key, occurrence, nearest match, parsing) lives in
 * ReplayCache, so a second backend is only these five methods. Every call names the org.
 */
export interface CacheBackend {
  find(org: string, key: string): StoredOutcome | undefined;
  save(row: CacheRow): void;
  delete(org: string, keys: readonly string[]): number;
  list(org: string, filter?: CacheListFilter): CacheRow[];
  /** Refuses a store it cannot use (not a rehearse cache, a newer schema) before anything runs. */
  check(): void;
  close(): void;
}
