import { CacheMergeError } from '../../errors.js';
import { exportLine } from '../export-jsonl.js';
import { alignedRows, compareBinary, sameRow } from './entry-order.js';
import type { CacheRow, RecordingStore } from '../types.js';

/** The sides of a three-way merge, as git's merge driver names them: the common ancestor, ours, theirs. */
export interface MergeSides {
  base: RecordingStore;
  ours: RecordingStore;
  theirs: RecordingStore;
}

export type Side = 'ours' | 'theirs';

/** An entry the merge had to decide on; each is reported. */
export interface MergeDecision {
  org: string;
  key: string;
  botId: string;
  actionType: string;
  /** The side whose row was kept. */
  kept: Side;
  /**
   * `both-changed`: both sides hold the key with different recordings (both recorded or refreshed it);
   * the newer created_at wins, equal times the greater text (so both merge directions agree).
   * `changed-and-removed`: one side removed it while the other changed it; the change is kept.
   */
  reason: 'both-changed' | 'changed-and-removed';
  /** Why this side won a both-changed entry. */
  by?: 'newer' | 'same-time';
  createdAt: string;
}

export interface MergeCounts {
  /** Entries in the result. */
  entries: number;
  /** Entries only one side added, by side. */
  added: Record<Side, number>;
  /** Entries one side changed and the other left as it was, by the side that changed them. */
  changed: Record<Side, number>;
  /** Entries of the base removed by one side (or both), and not changed by the other. */
  removed: number;
}

export interface MergeReport {
  counts: MergeCounts;
  decisions: MergeDecision[];
}

/** One entry as the three sides hold it. */
type Triple = [base: CacheRow | undefined, ours: CacheRow | undefined, theirs: CacheRow | undefined];

/**
 * The three-way merge of one entry by its (org, key): what stands in the result (or undefined: it
 * is removed), and what is counted or reported of it.
 */
function mergeEntry([base, ours, theirs]: Triple, report: MergeReport): CacheRow | undefined {
  const { counts } = report;
  if (ours && theirs) {
    if (sameRow(ours, theirs)) return ours;
    if (base && sameRow(base, ours)) return (counts.changed.theirs++, theirs);
    if (base && sameRow(base, theirs)) return (counts.changed.ours++, ours);
    const [kept, by] = newer(ours, theirs);
    const row = kept === 'ours' ? ours : theirs;
    report.decisions.push({ ...where(row), kept, reason: 'both-changed', by, createdAt: row.created_at });
    return row;
  }
  const [side, row]: [Side, CacheRow | undefined] = ours ? ['ours', ours] : ['theirs', theirs];
  if (!row) return (counts.removed++, undefined); // removed on both sides
  if (!base) return (counts.added[side]++, row);
  if (sameRow(base, row)) return (counts.removed++, undefined); // the other side removed it
  report.decisions.push({ ...where(row), kept: side, reason: 'changed-and-removed', createdAt: row.created_at });
  return row;
}

function where(row: CacheRow) {
  return { org: row.org, key: row.key, botId: row.bot_id, actionType: row.action_type };
}

/** The newer of two recordings of one key; at the same time, the one whose text sorts last, so the choice never depends on the merge direction. */
function newer(ours: CacheRow, theirs: CacheRow): [Side, 'newer' | 'same-time'] {
  const byTime = compareBinary(ours.created_at, theirs.created_at);
  if (byTime !== 0) return [byTime > 0 ? 'ours' : 'theirs', 'newer'];
  return [compareBinary(exportLine(ours), exportLine(theirs)) >= 0 ? 'ours' : 'theirs', 'same-time'];
}

/** The merged entries in rows() order, in batches for one import transaction. */
async function* mergedBatches(sides: MergeSides, report: MergeReport): AsyncIterable<CacheRow[]> {
  let batch: CacheRow[] = [];
  for await (const aligned of alignedRows([sides.base.rows({}), sides.ours.rows({}), sides.theirs.rows({})])) {
    const row = mergeEntry(aligned as Triple, report);
    if (!row) continue;
    batch.push(row);
    report.counts.entries++;
    if (batch.length >= 500) (yield batch, (batch = []));
  }
  if (batch.length > 0) yield batch;
}

/**
 * Merges three caches entry by entry into `result` (an empty store), in one transaction, in the
 * order of rows(), so the same merge always gives the same file. Every side is read through the
 * store interface, every org at once; the caller has checked that each is a cache it can read.
 */
export async function mergeCaches(sides: MergeSides, result: RecordingStore): Promise<MergeReport> {
  const report: MergeReport = { counts: { entries: 0, added: { ours: 0, theirs: 0 }, changed: { ours: 0, theirs: 0 }, removed: 0 }, decisions: [] };
  const written = await result.importRows(mergedBatches(sides, report), 'keep');
  if (written !== report.counts.entries) {
    // Two rows of one (org, key) met apart: the sides disagree on that entry's bot or action, which its key hashes.
    throw new CacheMergeError(`${report.counts.entries - written} entries have the same (org, key) as another entry of a different bot or action: a side holds rows whose key does not match their fields.`);
  }
  return report;
}
