import type { CacheRow, Claim, ClaimResult, EntryQuery, EntrySummary, ImportWrite, ProgressListener, RecordingStore, StoredOutcome } from './types.js';

/**
 * The committed file in front of a team store: lookups try the file first (offline, free), then
 * the team store; recordings, claims and maintenance go to the team store. The strict-miss diff
 * compares with the recordings of both.
 */
export class LayeredStore implements RecordingStore {
  readonly location: string;

  constructor(
    readonly file: RecordingStore,
    readonly team: RecordingStore,
  ) {
    this.location = `${file.location}, then ${team.location}`;
  }

  async check(): Promise<void> {
    await Promise.all([this.file.check(), this.team.check()]);
  }

  exists(): Promise<boolean> {
    return this.team.exists();
  }

  whyReadOnly(): Promise<string | undefined> {
    return this.team.whyReadOnly();
  }

  async prepareFor(org: string, botId: string, botVersion: string): Promise<void> {
    await this.team.prepareFor?.(org, botId, botVersion);
  }

  async find(org: string, key: string): Promise<StoredOutcome | undefined> {
    return (await this.file.find(org, key)) ?? this.team.find(org, key);
  }

  rowsByKey(org: string, keys: readonly string[]): Promise<CacheRow[]> {
    return this.team.rowsByKey(org, keys);
  }

  record(row: CacheRow, claim?: Claim): Promise<{ stored: StoredOutcome; inserted: boolean }> {
    return this.team.record(row, claim);
  }

  replace(row: CacheRow): Promise<void> {
    return this.team.replace(row);
  }

  async recent(org: string, botId: string, actionType: string, limit: number): Promise<CacheRow[]> {
    const [file, team] = await Promise.all([this.file.recent(org, botId, actionType, limit), this.team.recent(org, botId, actionType, limit)]);
    return [...file, ...team].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0)).slice(0, limit);
  }

  summaries(query: EntryQuery): AsyncIterable<EntrySummary> {
    return this.team.summaries(query);
  }

  rows(query: EntryQuery): AsyncIterable<CacheRow> {
    return this.team.rows(query);
  }

  rowsWithKeyPrefix(org: string, prefix: string, limit: number): Promise<CacheRow[]> {
    return this.team.rowsWithKeyPrefix(org, prefix, limit);
  }

  count(query: EntryQuery): Promise<number> {
    return this.team.count(query);
  }

  delete(org: string, keys: readonly string[], onProgress?: ProgressListener): Promise<number> {
    return this.team.delete(org, keys, onProgress);
  }

  importRows(batches: AsyncIterable<readonly CacheRow[]>, write: ImportWrite): Promise<number> {
    return this.team.importRows(batches, write);
  }

  integrity(limit: number): Promise<string[]> {
    return this.team.integrity(limit);
  }

  size(): Promise<number> {
    return this.team.size();
  }

  claim(org: string, key: string, leaseMs: number): Promise<ClaimResult> {
    return this.team.claim(org, key, leaseMs);
  }

  renew(claim: Claim, leaseMs: number): Promise<boolean> {
    return this.team.renew(claim, leaseMs);
  }

  release(claim: Claim): Promise<void> {
    return this.team.release(claim);
  }

  async close(): Promise<void> {
    await Promise.all([this.file.close(), this.team.close()]);
  }
}
