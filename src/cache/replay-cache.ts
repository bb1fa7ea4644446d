import { distance } from 'fastest-levenshtein';
import type { StreamDelta, TokenUsage } from '../actions/types.js';
import { canonicalJson, hashKey, keyText, type KeyMaterial } from './key.js';
import { diffParams, type ParamDifference } from './params-diff.js';
import { Redactor } from '../secrets/redactor.js';
import { recordOnce, type FlightResult } from './single-flight.js';
import type { CacheRow, Claim, RecordingStore, StoredOutcome } from './types.js';

export interface CacheHit {
  output: unknown;
  usage: TokenUsage | undefined;
  /** What the recorded call cost: the saving of this hit. */
  costUsd: number;
  /** The pieces it streamed in, when it was recorded from a stream; parsed only when a streamed call asks. */
  deltas(): StreamDelta[] | undefined;
  /** ISO 8601: when it was recorded (for expiry). */
  recordedAt: string;
}

export interface PreparedKey {
  key: string;
  /** True when secrets were replaced in the params before keying. */
  redacted: boolean;
}

export interface Recording {
  output: unknown;
  usage: TokenUsage | undefined;
  costUsd: number;
  durationMs: number;
  deltas: StreamDelta[] | undefined;
}

export interface NearestEntry {
  row: CacheRow;
  differences: ParamDifference[];
}

/** Edit distance of two values' JSON, on their first 200 characters so a long prompt stays cheap. */
function textDistance(before: unknown, after: unknown): number {
  return distance((JSON.stringify(before) ?? '').slice(0, 200), (JSON.stringify(after) ?? '').slice(0, 200));
}

/** How many recordings of one bot and action a strict miss compares against, newest first. */
const nearestCandidates = 500;

/** A stored outcome as a replay serves it; its JSON is parsed here, once it is known to be used. */
export function hitOf(row: StoredOutcome): CacheHit {
  return {
    output: JSON.parse(row.output) as unknown,
    usage: row.usage === null ? undefined : (JSON.parse(row.usage) as TokenUsage),
    costUsd: row.cost_usd,
    deltas: () => (row.deltas === null ? undefined : (JSON.parse(row.deltas) as StreamDelta[])),
    recordedAt: row.created_at,
  };
}

export interface RecordOptions {
  /** Write over an entry of the same key (a refresh, an expired recording) instead of writing once. */
  replace?: boolean;
  /** The single-flight claim this recording releases. */
  claim?: Claim;
}

/**
 * The replay flow over any store, for one org: derive keys, serve hits, record outcomes (one live
 * call per missing key), and find the nearest recording when a key misses. The org is fixed at
 * construction so no call can forget it.
 */
export class ReplayCache {
  constructor(
    readonly store: RecordingStore,
    readonly org: string,
    readonly redactor: Redactor = new Redactor(),
  ) {}

  /**
   * The key of this material. Secrets in the params are replaced first (in `material`, so the
   * recording stores what was hashed): a rotated key never changes a key, and none is written.
   */
  key(material: KeyMaterial): PreparedKey {
    let text = keyText(material);
    if (!this.redactor.matches(text)) return { key: hashKey(text), redacted: false };
    material.parameters = this.redactor.scrub(material.parameters);
    text = keyText(material);
    return { key: hashKey(text), redacted: true };
  }

  /** The bot versions whose lookups the store was readied for. */
  private readonly prepared = new Set<string>();

  async find(key: string, botId: string, botVersion: string): Promise<CacheHit | undefined> {
    if (this.store.prepareFor && !this.prepared.has(`${botId}\u0000${botVersion}`)) {
      this.prepared.add(`${botId}\u0000${botVersion}`);
      await this.store.prepareFor(this.org, botId, botVersion);
    }
    const row = await this.store.find(this.org, key);
    return row && row.status === 'success' ? hitOf(row) : undefined;
  }

  /**
   * Runs `record` as the one recorder of a missing key, or waits for the recorder already under way
   * (here or in another process) and gets what it stored.
   */
  recordOnce<T>(key: string, record: (claim: Claim) => Promise<{ stored: StoredOutcome; value: T }>, options: { leaseMs: number; signal: AbortSignal }): Promise<FlightResult<T>> {
    return recordOnce(this.store, this.org, key, record, options);
  }

  /**
   * Writes a recording; secrets in the output (and its stream pieces) are replaced before they reach
   * the store. Write-once unless `replace`: resolves to what the store holds, which is the first
   * recorder's answer when another recorded the key meanwhile.
   */
  async record(material: KeyMaterial, key: string, recording: Recording, paramsRedacted: boolean, options: RecordOptions = {}): Promise<{ redacted: boolean; stored: StoredOutcome }> {
    let output = JSON.stringify(recording.output) ?? 'null';
    let deltas = recording.deltas?.length ? JSON.stringify(recording.deltas) : null;
    let redacted = paramsRedacted;
    if (this.redactor.matches(output)) {
      output = JSON.stringify(this.redactor.scrub(recording.output));
      redacted = true;
    }
    if (deltas !== null && this.redactor.matches(deltas)) {
      deltas = JSON.stringify(this.redactor.scrub(recording.deltas));
      redacted = true;
    }
    const row: CacheRow = {
      org: this.org,
      key,
      bot_id: material.bot_id,
      bot_version: material.bot_updated_at,
      action_type: material.action_type,
      params: canonicalJson(material.parameters),
      occurrence: material.occurrence,
      output,
      status: 'success',
      usage: recording.usage ? JSON.stringify(recording.usage) : null,
      cost_usd: recording.costUsd,
      duration_ms: recording.durationMs,
      created_at: new Date().toISOString(),
      deltas,
      redacted: redacted ? 1 : 0,
    };
    if (options.replace) {
      await this.store.replace(row);
      return { redacted, stored: row };
    }
    const { stored } = await this.store.record(row, options.claim);
    return { redacted, stored };
  }

  /** The recording of this bot and action whose params differ from these in the fewest places. */
  async nearest(botId: string, actionType: string, parameters: unknown): Promise<NearestEntry | undefined> {
    // Round-trip through canonical JSON so we compare what would be stored, not live objects.
    const current = JSON.parse(canonicalJson(parameters)) as unknown;
    let best: (NearestEntry & { distance: number }) | undefined;
    for (const row of await this.store.recent(this.org, botId, actionType, nearestCandidates)) {
      const differences = diffParams(JSON.parse(row.params) as unknown, current);
      if (best && differences.length > best.differences.length) continue;
      // Among equally many differences, the closest values win: "charged three times" is nearer
      // to "charged twice" than to "reset my password".
      const distance = differences.reduce((sum, { before, after }) => sum + textDistance(before, after), 0);
      if (!best || differences.length < best.differences.length || distance < best.distance) best = { row, differences, distance };
    }
    return best && { row: best.row, differences: best.differences };
  }
}
