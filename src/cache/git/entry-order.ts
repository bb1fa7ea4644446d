import { cacheColumns, type CacheRow } from '../types.js';

/**
 * Compares two strings as SQLite's BINARY collation does: by their UTF-8 bytes, which is the order of
 * their code points. JavaScript's `<` compares UTF-16 code units, which puts U+E000..U+FFFF after
 * the surrogates of astral characters; shifting the two ranges past each other fixes that.
 */
export function compareBinary(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let index = 0; index < length; index++) {
    const x = a.charCodeAt(index);
    const y = b.charCodeAt(index);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  if (unit >= 0xe000) return unit - 0x800;
  return unit;
}

/** The order a store's rows() iterates in: org, bot, action type, key. */
export function compareEntries(a: CacheRow, b: CacheRow): number {
  return compareBinary(a.org, b.org) || compareBinary(a.bot_id, b.bot_id) || compareBinary(a.action_type, b.action_type) || compareBinary(a.key, b.key);
}

/** Whether two rows are the same recording: every column equal. */
export function sameRow(a: CacheRow, b: CacheRow): boolean {
  return cacheColumns.every((column) => a[column] === b[column]);
}

/** The columns whose values differ between two recordings of one key. */
export function changedColumns(before: CacheRow, after: CacheRow): string[] {
  return cacheColumns.filter((column) => before[column] !== after[column]);
}

/**
 * Walks several stores' rows side by side, all in the rows() order, and yields each entry once with
 * its row on every side (undefined where a side lacks it). The key of an entry hashes its bot and
 * action, so one (org, key) sits at the same place in every side's order; memory stays flat however
 * large the caches.
 */
export async function* alignedRows(sides: ReadonlyArray<AsyncIterable<CacheRow>>): AsyncIterable<Array<CacheRow | undefined>> {
  const iterators = sides.map((side) => side[Symbol.asyncIterator]());
  const heads = await Promise.all(iterators.map(nextRow));
  for (;;) {
    let least: CacheRow | undefined;
    for (const head of heads) if (head && (!least || compareEntries(head, least) < 0)) least = head;
    if (!least) return;
    const current = least;
    const aligned = heads.map((head) => (head && compareEntries(head, current) === 0 ? head : undefined));
    yield aligned;
    await Promise.all(aligned.map(async (row, index) => row && (heads[index] = await nextRow(iterators[index]!))));
  }
}

async function nextRow(iterator: AsyncIterator<CacheRow>): Promise<CacheRow | undefined> {
  const next = await iterator.next();
  return next.done ? undefined : next.value;
}
