/**
 * The merge and the diff walk the sides' rows side by side, trusting that JavaScript orders names as
 * SQLite does (by UTF-8 bytes). Names beyond the basic plane and in the private-use and specials
 * range order differently by UTF-16 code units; if the walk got that wrong, an entry present on both
 * sides would show as removed on one and added on the other.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffCaches } from '../../src/cache/git/diff.js';
import { compareBinary } from '../../src/cache/git/entry-order.js';
import { mergeCaches } from '../../src/cache/git/merge.js';
import { SqliteStore } from '../../src/cache/sqlite/store.js';
import { cacheRow, writeRows, type SeedEntry } from '../support/cache-seed.js';
import { tempDir } from '../support/temp.js';

const names = ['bot-a', 'bot-\u00e9', 'bot-\uff01', 'bot-\u{1f600}', 'bot-\ue000', 'bot-\u{10000}', 'bot-z'];
const entries: SeedEntry[] = names.flatMap((bot) => [{ bot }, { bot, org: bot.replace('bot', 'org') }]);

describe('the order of names', () => {
  it('is the order of their UTF-8 bytes', () => {
    const byBytes = [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    expect([...names].sort(compareBinary)).toEqual(byBytes);
    expect([...names].sort()).not.toEqual(byBytes); // what plain sort() would have got wrong
  });

  it('lines every entry up with itself across caches, in diff and merge', async () => {
    const dir = tempDir();
    const [all, some, merged] = ['all.sqlite', 'some.sqlite', 'merged.sqlite'].map((name) => join(dir, name)) as [string, string, string];
    // One side lacks the bots of every other name: a walk in the wrong order would pass a shared entry by on one side.
    const kept = entries.filter((entry) => names.indexOf(entry.bot!) % 2 === 1);
    writeRows(all, entries.map(cacheRow));
    writeRows(some, [...kept].reverse().map(cacheRow));
    const [before, after, result] = [new SqliteStore(all), new SqliteStore(some), new SqliteStore(merged)];
    try {
      const diff = await diffCaches(before, after, {});
      expect(diff).toMatchObject({ added: 0, changed: 0, removed: entries.length - kept.length, unchanged: kept.length });
      const report = await mergeCaches({ base: before, ours: after, theirs: before }, result);
      expect(report.counts).toEqual({ entries: kept.length, added: { ours: 0, theirs: 0 }, changed: { ours: 0, theirs: 0 }, removed: entries.length - kept.length });
      expect(report.decisions).toEqual([]);
      expect(await result.count({})).toBe(kept.length);
    } finally {
      await Promise.all([before.close(), after.close(), result.close()]);
    }
  });
});
