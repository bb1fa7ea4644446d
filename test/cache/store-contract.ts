import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { CacheRow, Claim, ClaimResult, EntryQuery, EntrySummary, RecordingStore, StoredOutcome } from '../../src/cache/types.js';
import { cacheRow, type SeedEntry } from '../support/cache-seed.js';

/**
 * How the contract gets stores of one kind. Modelled on Polly.JS's shared persister tests: every
 * store (SQLite today, PostgreSQL next) runs `describeStoreContract` unchanged, through the
 * RecordingStore interface alone.
 */
export interface StoreHarness {
  /** A fresh, empty store, isolated from other tests. */
  open(): Promise<RecordingStore>;
  /** A second store on the same data, as another process would open it. */
  reopen?(store: RecordingStore): Promise<RecordingStore>;
}

/** The six columns a replay hit reads, picked from a row (or from a wider object a store returned). */
function outcomeOf(row: StoredOutcome): StoredOutcome {
  return { output: row.output, status: row.status, usage: row.usage, cost_usd: row.cost_usd, created_at: row.created_at, deltas: row.deltas };
}

/** A summary's fields other than `bytes`, as the store should report them for this row. */
function summaryOf(row: CacheRow): Omit<EntrySummary, 'bytes'> {
  return {
    org: row.org,
    key: row.key,
    bot_id: row.bot_id,
    bot_version: row.bot_version,
    action_type: row.action_type,
    occurrence: row.occurrence,
    status: row.status,
    cost_usd: row.cost_usd,
    created_at: row.created_at,
  };
}

function withoutBytes(summary: EntrySummary): Omit<EntrySummary, 'bytes'> {
  const { bytes: _bytes, ...rest } = summary;
  return rest;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

async function* inBatches(...batches: ReadonlyArray<readonly CacheRow[]>): AsyncIterable<readonly CacheRow[]> {
  for (const batch of batches) {
    await Promise.resolve();
    yield batch;
  }
}

/** Code-unit order; every name the contract uses is lowercase ASCII, so any sane collation agrees. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function orderBy<T>(columns: ReadonlyArray<keyof T & string>): (a: T, b: T) => number {
  return (a, b) => {
    for (const column of columns) {
      const order = compareStrings(String(a[column]), String(b[column]));
      if (order !== 0) return order;
    }
    return 0;
  };
}

const summaryOrder = orderBy<CacheRow>(['org', 'bot_id', 'action_type', 'created_at', 'key']);
const rowOrder = orderBy<CacheRow>(['org', 'bot_id', 'action_type', 'key']);
const byKey = orderBy<CacheRow>(['key']);

function matches(row: CacheRow, query: EntryQuery): boolean {
  return (query.org === undefined || row.org === query.org) && (query.botId === undefined || row.bot_id === query.botId) && (query.actionType === undefined || row.action_type === query.actionType);
}

/** One recording; `index` picks its params (so its key), the fields override the rest. */
function entry(index: number, fields: SeedEntry = {}): CacheRow {
  return cacheRow({ params: { model: 'gpt-4o-mini', prompt: `prompt ${index}` }, output: { content: `answer ${index}` }, ...fields });
}

function claimed(result: ClaimResult): Claim {
  if (!result.claimed) throw new Error(`expected the claim to be granted, but ${result.owner} holds it`);
  return result.claim;
}

/** Settles within `ms`, or 'timed out': for calls that must not hang. */
async function settlement(promise: Promise<unknown>, ms = 5_000): Promise<'resolved' | 'rejected' | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timed out'>((resolve) => (timer = setTimeout(() => resolve('timed out'), ms)));
  try {
    return await Promise.race([promise.then(() => 'resolved' as const, () => 'rejected' as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

export function describeStoreContract(name: string, harness: StoreHarness): void {
  /** A fresh store, closed when the test ends. */
  async function open(): Promise<RecordingStore> {
    const store = await harness.open();
    onTestFinished(() => store.close());
    return store;
  }

  /** A second store on the same data, closed when the test ends. */
  async function reopen(store: RecordingStore): Promise<RecordingStore> {
    if (!harness.reopen) throw new Error(`${name} has no reopen in its harness`);
    const other = await harness.reopen(store);
    onTestFinished(() => other.close());
    return other;
  }

  const noReopen = !harness.reopen;

  /** The same three keys in two orgs, each org with outputs of its own. */
  async function seedTwoOrgs(store: RecordingStore): Promise<{ a: CacheRow[]; b: CacheRow[] }> {
    const make = (org: string) => [0, 1, 2].map((index) => entry(index, { org, output: { content: `${org} answer ${index}` }, createdAt: `2026-01-0${index + 1}T00:00:00.000Z` }));
    const a = make('org-a');
    const b = make('org-b');
    for (const row of [...a, ...b]) await store.record(row);
    return { a, b };
  }

  describe(`${name}: the RecordingStore contract`, () => {
    describe('find and record', () => {
      it('find of a key never recorded is undefined, in a fresh store and in one holding other keys', async () => {
        const store = await open();
        expect(typeof store.location).toBe('string');
        expect(store.location.length).toBeGreaterThan(0);
        await expect(store.check()).resolves.toBeUndefined();
        expect(await store.find('default', entry(1).key)).toBeUndefined();
        await store.record(entry(2));
        expect(await store.find('default', entry(1).key)).toBeUndefined();
        await expect(store.check()).resolves.toBeUndefined();
      });

      it('find returns output, status, usage, cost_usd, created_at and deltas exactly as recorded', async () => {
        const store = await open();
        const streamed = entry(1, {
          output: { content: 'streamed answer', tool_calls: [{ name: 'lookup', arguments: '{"q":"é 漢字"}' }] },
          usage: { input_tokens: 1234, output_tokens: 56 },
          cost: 0.000123,
          createdAt: '2026-02-03T04:05:06.789Z',
          deltas: [{ text: 'stre' }, { text: 'amed' }],
        });
        const failed = entry(2, { status: 'error', output: { error: { message: 'rate limited' } }, usage: null, cost: 0, deltas: null, createdAt: '2026-02-04T00:00:00.000Z' });
        const streamedResult = await store.record(streamed);
        const failedResult = await store.record(failed);
        expect(streamedResult.inserted).toBe(true);
        expect(outcomeOf(streamedResult.stored)).toEqual(outcomeOf(streamed));
        expect(failedResult.inserted).toBe(true);
        expect(outcomeOf(failedResult.stored)).toEqual(outcomeOf(failed));
        expect(await store.find('default', streamed.key)).toEqual(outcomeOf(streamed));
        expect(await store.find('default', failed.key)).toEqual(outcomeOf(failed));
        expect(await store.rowsByKey('default', [streamed.key, failed.key]).then((rows) => rows.sort(byKey))).toEqual([streamed, failed].sort(byKey));
      });

      it('record is write-once: a second record of the key resolves to the first outcome and leaves the row as it was', async () => {
        const store = await open();
        const first = entry(1, { output: { content: 'first' }, createdAt: '2026-01-01T00:00:00.000Z', cost: 0.5 });
        const second = entry(1, { output: { content: 'second' }, createdAt: '2026-01-02T00:00:00.000Z', cost: 0.7, deltas: [{ text: 'second' }] });
        expect(second.key).toBe(first.key);
        expect((await store.record(first)).inserted).toBe(true);
        const again = await store.record(second);
        expect(again.inserted).toBe(false);
        expect(outcomeOf(again.stored)).toEqual(outcomeOf(first));
        expect(await store.find('default', first.key)).toEqual(outcomeOf(first));
        expect(await store.rowsByKey('default', [first.key])).toEqual([first]);
        expect(await store.count({})).toBe(1);
      });

      it('replace writes over the row of its key, and writes a row that is absent', async () => {
        const store = await open();
        const first = entry(1, { output: { content: 'first' } });
        const replacement = entry(1, { output: { content: 'replacement' }, status: 'error', createdAt: '2026-03-01T00:00:00.000Z', deltas: [{ text: 'x' }], usage: null });
        await store.record(first);
        await store.replace(replacement);
        expect(await store.find('default', first.key)).toEqual(outcomeOf(replacement));
        expect(await store.rowsByKey('default', [first.key])).toEqual([replacement]);
        const fresh = entry(2);
        await store.replace(fresh);
        expect(await store.find('default', fresh.key)).toEqual(outcomeOf(fresh));
        expect(await store.count({})).toBe(2);
        // Still write-once for record after a replace.
        const late = await store.record(entry(1, { output: { content: 'late' } }));
        expect(late.inserted).toBe(false);
        expect(outcomeOf(late.stored)).toEqual(outcomeOf(replacement));
      });
    });

    describe('org isolation', () => {
      it('find and rowsByKey see only the org asked for', async () => {
        const store = await open();
        const { a, b } = await seedTwoOrgs(store);
        expect(a.map((row) => row.key)).toEqual(b.map((row) => row.key));
        for (const [index, row] of a.entries()) {
          expect(await store.find('org-a', row.key)).toEqual(outcomeOf(row));
          expect(await store.find('org-b', row.key)).toEqual(outcomeOf(b[index]!));
          expect(await store.find('org-c', row.key)).toBeUndefined();
        }
        const keys = a.map((row) => row.key);
        expect((await store.rowsByKey('org-a', keys)).sort(byKey)).toEqual([...a].sort(byKey));
        expect((await store.rowsByKey('org-b', keys)).sort(byKey)).toEqual([...b].sort(byKey));
        expect(await store.rowsByKey('org-c', keys)).toEqual([]);
      });

      it('recent sees only the org asked for', async () => {
        const store = await open();
        const { a, b } = await seedTwoOrgs(store);
        expect(await store.recent('org-a', 'seed-bot', 'llm.message', 10)).toEqual([...a].reverse());
        expect(await store.recent('org-b', 'seed-bot', 'llm.message', 10)).toEqual([...b].reverse());
        expect(await store.recent('org-c', 'seed-bot', 'llm.message', 10)).toEqual([]);
      });

      it('summaries, rows and count with an org see only that org', async () => {
        const store = await open();
        const { a, b } = await seedTwoOrgs(store);
        for (const [org, rows] of [['org-a', a], ['org-b', b]] as const) {
          expect((await collect(store.summaries({ org }))).map(withoutBytes)).toEqual([...rows].sort(summaryOrder).map(summaryOf));
          expect(await collect(store.rows({ org }))).toEqual([...rows].sort(rowOrder));
          expect(await store.count({ org })).toBe(3);
        }
        expect(await collect(store.summaries({ org: 'org-c' }))).toEqual([]);
        expect(await collect(store.rows({ org: 'org-c' }))).toEqual([]);
        expect(await store.count({ org: 'org-c' })).toBe(0);
        expect(await store.count({})).toBe(6);
      });

      it('rowsWithKeyPrefix sees only the org asked for', async () => {
        const store = await open();
        const { a, b } = await seedTwoOrgs(store);
        for (const [index, row] of a.entries()) {
          expect(await store.rowsWithKeyPrefix('org-a', row.key.slice(0, 12), 10)).toEqual([row]);
          expect(await store.rowsWithKeyPrefix('org-b', row.key.slice(0, 12), 10)).toEqual([b[index]]);
          expect(await store.rowsWithKeyPrefix('org-c', row.key.slice(0, 12), 10)).toEqual([]);
        }
      });

      it("delete removes only the org's rows, even where another org holds the same keys", async () => {
        const store = await open();
        const { a, b } = await seedTwoOrgs(store);
        const keys = a.map((row) => row.key);
        expect(await store.delete('org-c', keys)).toBe(0);
        expect(await store.count({})).toBe(6);
        expect(await store.delete('org-a', keys)).toBe(3);
        for (const [index, key] of keys.entries()) {
          expect(await store.find('org-a', key)).toBeUndefined();
          expect(await store.find('org-b', key)).toEqual(outcomeOf(b[index]!));
        }
        expect(await store.count({ org: 'org-a' })).toBe(0);
        expect(await store.count({ org: 'org-b' })).toBe(3);
      });

      it("record and replace in one org leave another org's row of the same key alone", async () => {
        const store = await open();
        const inA = entry(1, { org: 'org-a', output: { content: 'a' } });
        const inB = entry(1, { org: 'org-b', output: { content: 'b' } });
        expect((await store.record(inA)).inserted).toBe(true);
        const recordedB = await store.record(inB);
        expect(recordedB.inserted).toBe(true);
        expect(outcomeOf(recordedB.stored)).toEqual(outcomeOf(inB));
        const replacedA = entry(1, { org: 'org-a', output: { content: 'a, replaced' } });
        await store.replace(replacedA);
        expect(await store.find('org-a', inA.key)).toEqual(outcomeOf(replacedA));
        expect(await store.find('org-b', inA.key)).toEqual(outcomeOf(inB));
      });
    });

    describe('recent', () => {
      it('lists only that bot and action, newest first, at most limit', async () => {
        const store = await open();
        const ofBot = [3, 1, 5, 2, 4].map((day) => entry(day, { bot: 'bot-x', action: 'llm.message', createdAt: `2026-01-0${day}T00:00:00.000Z` }));
        const others = [
          entry(10, { bot: 'bot-y', action: 'llm.message', createdAt: '2026-01-09T00:00:00.000Z' }),
          entry(11, { bot: 'bot-x', action: 'tool.call', createdAt: '2026-01-09T00:00:00.000Z' }),
          entry(12, { bot: 'bot-x', action: 'llm.message', org: 'elsewhere', createdAt: '2026-01-09T00:00:00.000Z' }),
        ];
        for (const row of [...ofBot, ...others]) await store.record(row);
        const newestFirst = [...ofBot].sort((x, y) => compareStrings(y.created_at, x.created_at));
        expect(await store.recent('default', 'bot-x', 'llm.message', 3)).toEqual(newestFirst.slice(0, 3));
        expect(await store.recent('default', 'bot-x', 'llm.message', 1)).toEqual(newestFirst.slice(0, 1));
        expect(await store.recent('default', 'bot-x', 'llm.message', 50)).toEqual(newestFirst);
        expect(await store.recent('default', 'bot-x', 'tool.call', 50)).toEqual([others[1]]);
        expect(await store.recent('default', 'bot-z', 'llm.message', 50)).toEqual([]);
      });
    });

    describe('listings over more rows than one page', () => {
      const orgs = ['org-a', 'org-b'] as const;
      const bots = ['bot-0', 'bot-1', 'bot-2'] as const;
      const actions = ['llm.message', 'tool.call'] as const;

      /** 620 rows in org-a and 600 in org-b, the same keys in both, with many equal created_at. */
      function manyRows(): CacheRow[] {
        const rows: CacheRow[] = [];
        for (const org of orgs) {
          for (let index = 0; index < (org === 'org-a' ? 620 : 600); index++) {
            rows.push(
              entry(index, {
                org,
                bot: bots[index % 3],
                action: actions[index % 2],
                createdAt: `2026-01-01T00:0${index % 7}:00.000Z`,
                output: { content: `${org} ${index}`, padding: 'x'.repeat(index % 50) },
                cost: index / 1000,
                deltas: index % 5 === 0 ? [{ text: `${index}` }] : null,
                usage: index % 4 === 0 ? null : { input_tokens: index, output_tokens: 1 },
                status: index % 9 === 0 ? 'error' : 'success',
              }),
            );
          }
        }
        // Written in neither listing order.
        return rows.sort(byKey);
      }

      const queries: EntryQuery[] = [
        {},
        { org: 'org-a' },
        { org: 'org-b' },
        { org: 'org-b', botId: 'bot-1' },
        { org: 'org-a', actionType: 'tool.call' },
        { org: 'org-a', botId: 'bot-0', actionType: 'llm.message' },
        { botId: 'bot-2' },
        { actionType: 'llm.message' },
        { org: 'nobody' },
      ];

      async function seeded(): Promise<{ store: RecordingStore; rows: CacheRow[] }> {
        const store = await open();
        const rows = manyRows();
        expect(await store.importRows(inBatches(rows), 'keep')).toBe(rows.length);
        return { store, rows };
      }

      it('summaries are ordered by org, bot, action, created_at and key, filtered, each row once', async () => {
        const { store, rows } = await seeded();
        for (const query of queries) {
          const listed = await collect(store.summaries(query));
          const expected = rows.filter((row) => matches(row, query)).sort(summaryOrder);
          expect(new Set(listed.map((summary) => `${summary.org}/${summary.key}`)).size, JSON.stringify(query)).toBe(listed.length);
          expect(listed.map(withoutBytes), JSON.stringify(query)).toEqual(expected.map(summaryOf));
          expect(listed.every((summary) => summary.bytes > 0)).toBe(true);
        }
        expect(await collect(store.summaries({}))).toHaveLength(1220);
        expect(await collect(store.summaries({ org: 'org-a' }))).toHaveLength(620);
      });

      it('rows are whole rows as written, ordered by org, bot, action and key, filtered, each row once', async () => {
        const { store, rows } = await seeded();
        for (const query of queries) {
          const listed = await collect(store.rows(query));
          const expected = rows.filter((row) => matches(row, query)).sort(rowOrder);
          expect(new Set(listed.map((row) => `${row.org}/${row.key}`)).size, JSON.stringify(query)).toBe(listed.length);
          expect(listed, JSON.stringify(query)).toEqual(expected);
        }
        expect(await collect(store.rows({}))).toHaveLength(1220);
      });

      it('count matches each filter', async () => {
        const { store, rows } = await seeded();
        for (const query of queries) expect(await store.count(query), JSON.stringify(query)).toBe(rows.filter((row) => matches(row, query)).length);
        expect(await store.count({ org: 'org-a' })).toBe(620);
        expect(await store.count({ botId: 'nobody' })).toBe(0);
      });

      it('rowsByKey of more keys than one page finds each present row once', async () => {
        const { store, rows } = await seeded();
        const ofA = rows.filter((row) => row.org === 'org-a');
        const absent = [entry(5000).key, entry(5001).key];
        const found = await store.rowsByKey('org-a', [...absent, ...ofA.map((row) => row.key)]);
        expect(found.sort(byKey)).toEqual([...ofA].sort(byKey));
      });
    });

    describe('summaries', () => {
      it('carry the fields of the entry, bytes counting its JSON columns', async () => {
        const store = await open();
        const small = entry(1, { bot: 'bot-s', version: 'v7', action: 'tool.call', occurrence: 2, status: 'error', cost: 0.25, createdAt: '2026-05-06T07:08:09.000Z' });
        const large = entry(2, { bot: 'bot-s', version: 'v7', action: 'tool.call', output: { content: 'y'.repeat(5000) }, createdAt: '2026-05-07T00:00:00.000Z' });
        await store.record(small);
        await store.record(large);
        const listed = await collect(store.summaries({ org: 'default' }));
        expect(listed).toHaveLength(2);
        const [first, second] = listed as [EntrySummary, EntrySummary];
        expect(Object.keys(first).sort()).toEqual(['action_type', 'bot_id', 'bot_version', 'bytes', 'cost_usd', 'created_at', 'key', 'occurrence', 'org', 'status']);
        expect(first).toEqual({ ...summaryOf(small), bytes: first.bytes });
        expect(second).toEqual({ ...summaryOf(large), bytes: second.bytes });
        expect(first.bytes).toBeGreaterThan(0);
        expect(second.bytes).toBeGreaterThan(first.bytes + 4000);
      });

      it('of an empty store, and rows of one, are empty', async () => {
        const store = await open();
        expect(await collect(store.summaries({}))).toEqual([]);
        expect(await collect(store.rows({}))).toEqual([]);
        expect(await store.count({})).toBe(0);
      });
    });

    describe('rowsWithKeyPrefix', () => {
      it('lists rows whose key starts with the prefix, by key, at most limit', async () => {
        const store = await open();
        const rows = Array.from({ length: 64 }, (_, index) => entry(index));
        await store.importRows(inBatches(rows), 'keep');
        // The first character most keys share, so the limit bites.
        const counts = new Map<string, number>();
        for (const row of rows) counts.set(row.key[0]!, (counts.get(row.key[0]!) ?? 0) + 1);
        const prefix = [...counts.entries()].sort((x, y) => y[1] - x[1])[0]![0];
        const expected = rows.filter((row) => row.key.startsWith(prefix)).sort(byKey);
        expect(expected.length).toBeGreaterThan(2);
        expect(await store.rowsWithKeyPrefix('default', prefix, 100)).toEqual(expected);
        expect(await store.rowsWithKeyPrefix('default', prefix, 2)).toEqual(expected.slice(0, 2));
        const full = rows[7]!;
        expect(await store.rowsWithKeyPrefix('default', full.key, 10)).toEqual([full]);
        expect(await store.rowsWithKeyPrefix('default', full.key.slice(0, 20), 10)).toEqual([full]);
        const unused = '0123456789abcdef'.split('').find((digit) => !counts.has(digit)) ?? 'g';
        expect(await store.rowsWithKeyPrefix('default', unused, 10)).toEqual([]);
      });
    });

    describe('rowsByKey', () => {
      it('leaves absent keys out and returns whole rows (in any order)', async () => {
        const store = await open();
        const rows = [1, 2, 3].map((index) => entry(index));
        for (const row of rows) await store.record(row);
        const found = await store.rowsByKey('default', [entry(9).key, rows[2]!.key, rows[0]!.key]);
        expect(found.sort(byKey)).toEqual([rows[2]!, rows[0]!].sort(byKey));
        expect(await store.rowsByKey('default', [])).toEqual([]);
        expect(await store.rowsByKey('default', [entry(9).key])).toEqual([]);
      });
    });

    describe('delete', () => {
      it('resolves to how many of the keys were there (absent keys count 0)', async () => {
        const store = await open();
        expect(await store.delete('default', [entry(1).key])).toBe(0);
        const rows = [1, 2, 3].map((index) => entry(index));
        for (const row of rows) await store.record(row);
        expect(await store.delete('default', [rows[0]!.key, entry(9).key, rows[1]!.key])).toBe(2);
        expect(await store.find('default', rows[0]!.key)).toBeUndefined();
        expect(await store.find('default', rows[1]!.key)).toBeUndefined();
        expect(await store.find('default', rows[2]!.key)).toEqual(outcomeOf(rows[2]!));
        expect(await store.delete('default', [rows[0]!.key])).toBe(0);
        expect(await store.delete('default', [])).toBe(0);
        expect(await store.count({})).toBe(1);
      });

      it('reports progress, ending with (n, n)', async () => {
        const store = await open();
        const rows = Array.from({ length: 1200 }, (_, index) => entry(index));
        await store.importRows(inBatches(rows.slice(0, 600), rows.slice(600)), 'keep');
        const calls: Array<[number, number | undefined]> = [];
        const removed = await store.delete(
          'default',
          rows.map((row) => row.key),
          (done, total) => calls.push([done, total]),
        );
        expect(removed).toBe(1200);
        expect(calls.length).toBeGreaterThan(0);
        expect(calls.at(-1)).toEqual([1200, 1200]);
        for (const [index, [done, total]] of calls.entries()) {
          if (total !== undefined) expect(done).toBeLessThanOrEqual(total);
          if (index > 0) expect(done).toBeGreaterThanOrEqual(calls[index - 1]![0]);
        }
        expect(await store.count({})).toBe(0);
      });
    });

    describe('importRows', () => {
      it("'keep' adds absent keys and keeps present ones, resolving to the rows written", async () => {
        const store = await open();
        const present = entry(1, { output: { content: 'present' } });
        await store.record(present);
        const incoming = [entry(1, { output: { content: 'incoming' } }), entry(2), entry(3)];
        expect(await store.importRows(inBatches(incoming), 'keep')).toBe(2);
        expect(await store.find('default', present.key)).toEqual(outcomeOf(present));
        expect(await store.find('default', incoming[1]!.key)).toEqual(outcomeOf(incoming[1]!));
        expect(await store.rowsByKey('default', [incoming[2]!.key])).toEqual([incoming[2]]);
        expect(await store.count({})).toBe(3);
      });

      it("'replace' overwrites present keys and adds absent ones", async () => {
        const store = await open();
        const present = entry(1, { output: { content: 'present' } });
        await store.record(present);
        const incoming = [entry(1, { output: { content: 'incoming' }, status: 'error', deltas: [{ text: 'a' }] }), entry(2)];
        expect(await store.importRows(inBatches(incoming), 'replace')).toBe(2);
        expect(await store.rowsByKey('default', [present.key])).toEqual([incoming[0]]);
        expect(await store.find('default', incoming[1]!.key)).toEqual(outcomeOf(incoming[1]!));
        expect(await store.count({})).toBe(2);
      });

      it('takes an async iterable of several batches (an empty one among them)', async () => {
        const store = await open();
        const rows = Array.from({ length: 7 }, (_, index) => entry(index, { org: index % 2 ? 'org-a' : 'org-b' }));
        expect(await store.importRows(inBatches(rows.slice(0, 2), [], rows.slice(2, 5), rows.slice(5)), 'keep')).toBe(7);
        expect(await store.count({})).toBe(7);
        for (const row of rows) expect(await store.find(row.org, row.key)).toEqual(outcomeOf(row));
        expect(await store.importRows(inBatches(), 'keep')).toBe(0);
      });

      it('is all or nothing: when the batches fail midway, nothing of them is kept, and the store goes on', async () => {
        const store = await open();
        const present = entry(1, { output: { content: 'present' } });
        await store.record(present);
        const failure = new Error('the source broke');
        async function* failing(): AsyncIterable<readonly CacheRow[]> {
          yield [entry(2), entry(1, { output: { content: 'overwritten?' } })];
          yield [entry(3)];
          throw failure;
        }
        await expect(store.importRows(failing(), 'replace')).rejects.toThrow();
        expect(await store.count({})).toBe(1);
        expect(await store.find('default', present.key)).toEqual(outcomeOf(present));
        expect(await store.find('default', entry(2).key)).toBeUndefined();
        expect(await store.find('default', entry(3).key)).toBeUndefined();
        await expect(store.importRows(failing(), 'keep')).rejects.toThrow();
        expect(await store.count({})).toBe(1);
        expect((await store.record(entry(2))).inserted).toBe(true);
        expect(await store.count({})).toBe(2);
      });

      it('is all or nothing as the first write of a fresh store too', async () => {
        const store = await open();
        async function* failing(): AsyncIterable<readonly CacheRow[]> {
          yield [entry(1), entry(2)];
          throw new Error('the source broke');
        }
        await expect(store.importRows(failing(), 'keep')).rejects.toThrow();
        expect(await store.count({})).toBe(0);
        expect(await store.find('default', entry(1).key)).toBeUndefined();
        expect((await store.record(entry(3))).inserted).toBe(true);
        expect(await store.find('default', entry(3).key)).toEqual(outcomeOf(entry(3)));
        expect(await store.count({})).toBe(1);
      });

      it('is not seen half-done by reads made while it runs', async () => {
        const store = await open();
        await store.record(entry(0));
        const reached = deferred();
        const gate = deferred();
        async function* slow(): AsyncIterable<readonly CacheRow[]> {
          yield [entry(1), entry(2)];
          reached.resolve();
          await gate.promise;
          throw new Error('the source broke');
        }
        const importing = store.importRows(slow(), 'keep');
        importing.catch(() => undefined);
        await reached.promise;
        const during = store.find('default', entry(1).key);
        const countDuring = store.count({});
        gate.resolve();
        await expect(importing).rejects.toThrow();
        expect(await during).toBeUndefined();
        expect(await countDuring).toBe(1);
      });
    });

    describe('integrity, size and exists', () => {
      it('a fresh store does not exist yet; after a write it exists, has a size and is sound', async () => {
        const store = await open();
        expect(await store.exists()).toBe(false);
        await store.record(entry(1));
        expect(await store.exists()).toBe(true);
        expect(await store.size()).toBeGreaterThan(0);
        expect(await store.integrity(10)).toEqual(['ok']);
        await store.importRows(inBatches(Array.from({ length: 50 }, (_, index) => entry(index + 10))), 'keep');
        await store.delete('default', [entry(10).key]);
        expect(await store.integrity(10)).toEqual(['ok']);
      });
    });

    describe('claims', () => {
      it('a free key is claimed; a second claim of it is refused with the owner', async () => {
        const store = await open();
        const first = claimed(await store.claim('default', 'key-1', 10_000));
        expect(first).toMatchObject({ org: 'default', key: 'key-1' });
        expect(first.owner.length).toBeGreaterThan(0);
        expect(await store.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: first.owner });
        // Other keys, and the same key in another org, are free.
        expect((await store.claim('default', 'key-2', 10_000)).claimed).toBe(true);
        expect((await store.claim('org-b', 'key-1', 10_000)).claimed).toBe(true);
      });

      it.skipIf(noReopen)('a claim is refused to another handle on the same data', async () => {
        const store = await open();
        const other = await reopen(store);
        const first = claimed(await store.claim('default', 'key-1', 10_000));
        expect(await other.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: first.owner });
        await store.release(first);
        const taken = claimed(await other.claim('default', 'key-1', 10_000));
        expect(await store.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: taken.owner });
      });

      it('renew holds the claim for its holder, and is refused to anyone else', async () => {
        const store = await open();
        const claim = claimed(await store.claim('default', 'key-1', 10_000));
        expect(await store.renew(claim, 10_000)).toBe(true);
        expect(await store.renew({ ...claim, owner: `${claim.owner}-impostor` }, 10_000)).toBe(false);
        expect(await store.renew(claim, 10_000)).toBe(true);
        expect((await store.claim('default', 'key-1', 10_000)).claimed).toBe(false);
      });

      it('release frees the key: the next claim is granted, and the released claim cannot be renewed', async () => {
        const store = await open();
        const claim = claimed(await store.claim('default', 'key-1', 10_000));
        await store.release(claim);
        const next = claimed(await store.claim('default', 'key-1', 10_000));
        expect(next.owner).not.toBe(claim.owner);
        expect(await store.renew(claim, 10_000)).toBe(false);
        // Releasing a claim one no longer holds leaves the new holder's alone.
        await store.release(claim);
        expect(await store.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: next.owner });
      });

      it('a claim whose lease lapsed is taken over, and its old holder can no longer renew it', async () => {
        const store = await open();
        const old = claimed(await store.claim('default', 'key-1', 50));
        await sleep(100);
        const taken = claimed(await store.claim('default', 'key-1', 10_000));
        expect(taken.owner).not.toBe(old.owner);
        expect(await store.renew(old, 10_000)).toBe(false);
        expect(await store.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: taken.owner });
      });

      it('a renewed claim does not lapse at its first lease', async () => {
        const store = await open();
        const claim = claimed(await store.claim('default', 'key-1', 150));
        await sleep(75);
        expect(await store.renew(claim, 10_000)).toBe(true);
        await sleep(150);
        expect(await store.claim('default', 'key-1', 10_000)).toEqual({ claimed: false, owner: claim.owner });
      });

      it('record(row, claim) releases the claim once the row is stored', async () => {
        const store = await open();
        const row = entry(1);
        const claim = claimed(await store.claim(row.org, row.key, 10_000));
        const result = await store.record(row, claim);
        expect(result.inserted).toBe(true);
        expect(await store.find(row.org, row.key)).toEqual(outcomeOf(row));
        expect(await store.renew(claim, 10_000)).toBe(false);
        expect((await store.claim(row.org, row.key, 10_000)).claimed).toBe(true);
      });
    });

    describe('concurrency within one process', () => {
      it('20 concurrent records of different keys all resolve and are all kept', async () => {
        const store = await open();
        const rows = Array.from({ length: 20 }, (_, index) => entry(index));
        const results = await Promise.all(rows.map((row) => store.record(row)));
        expect(results.every((result) => result.inserted)).toBe(true);
        results.forEach((result, index) => expect(outcomeOf(result.stored)).toEqual(outcomeOf(rows[index]!)));
        expect(await store.count({})).toBe(20);
        for (const row of rows) expect(await store.find(row.org, row.key)).toEqual(outcomeOf(row));
      });

      it('10 concurrent records of the same key: exactly one inserts, all resolve to its outcome', async () => {
        const store = await open();
        const rows = Array.from({ length: 10 }, (_, index) => entry(1, { output: { content: `racer ${index}` } }));
        const results = await Promise.all(rows.map((row) => store.record(row)));
        const winners = results.flatMap((result, index) => (result.inserted ? [index] : []));
        expect(winners).toHaveLength(1);
        const winner = rows[winners[0]!]!;
        for (const result of results) expect(outcomeOf(result.stored)).toEqual(outcomeOf(winner));
        expect(await store.find('default', winner.key)).toEqual(outcomeOf(winner));
        expect(await store.count({})).toBe(1);
      });

      it('reads made while writes are queued see either nothing or the whole row', async () => {
        const store = await open();
        const rows = Array.from({ length: 10 }, (_, index) => entry(index));
        const writes = rows.map((row) => store.record(row));
        const reads = rows.map((row) => store.find(row.org, row.key));
        await Promise.all(writes);
        const seen = await Promise.all(reads);
        seen.forEach((outcome, index) => {
          if (outcome !== undefined) expect(outcome).toEqual(outcomeOf(rows[index]!));
        });
        for (const row of rows) expect(await store.find(row.org, row.key)).toEqual(outcomeOf(row));
      });
    });

    describe('a second handle on the same data (another process)', () => {
      it.skipIf(noReopen)('sees rows the first wrote once their writes resolved, and the first sees its rows', async () => {
        const store = await open();
        const first = entry(1);
        await store.record(first);
        const other = await reopen(store);
        expect(await other.find(first.org, first.key)).toEqual(outcomeOf(first));
        const second = entry(2);
        await store.record(second);
        expect(await other.find(second.org, second.key)).toEqual(outcomeOf(second));
        expect(await other.count({})).toBe(2);
        const third = entry(3);
        await other.record(third);
        expect(await store.find(third.org, third.key)).toEqual(outcomeOf(third));
        const clash = await other.record(entry(1, { output: { content: 'other process' } }));
        expect(clash.inserted).toBe(false);
        expect(outcomeOf(clash.stored)).toEqual(outcomeOf(first));
        await store.replace(entry(2, { output: { content: 'replaced' } }));
        expect(await other.find('default', second.key)).toEqual(outcomeOf(entry(2, { output: { content: 'replaced' } })));
        await other.delete('default', [third.key]);
        expect(await store.find('default', third.key)).toBeUndefined();
      });

      it.skipIf(noReopen)('opened before anything was written, sees what is written afterwards', async () => {
        const store = await open();
        const other = await reopen(store);
        const row = entry(1);
        expect(await other.find(row.org, row.key)).toBeUndefined();
        expect(await other.count({})).toBe(0);
        await store.record(row);
        expect(await other.exists()).toBe(true);
        expect(await other.find(row.org, row.key)).toEqual(outcomeOf(row));
        expect(await collect(other.rows({}))).toEqual([row]);
      });

      it.skipIf(noReopen)('that read after a failed first import, sees what is written afterwards', async () => {
        const store = await open();
        async function* failing(): AsyncIterable<readonly CacheRow[]> {
          yield [entry(1)];
          throw new Error('the source broke');
        }
        await expect(store.importRows(failing(), 'keep')).rejects.toThrow();
        const other = await reopen(store);
        const row = entry(2);
        expect(await other.find(row.org, row.key)).toBeUndefined();
        await store.record(row);
        expect(await other.find(row.org, row.key)).toEqual(outcomeOf(row));
        expect(await other.count({})).toBe(1);
      });
    });

    describe('close', () => {
      it('is safe to call twice', async () => {
        const store = await open();
        await store.record(entry(1));
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });

      it('is safe on a store never used', async () => {
        const store = await open();
        await expect(store.close()).resolves.toBeUndefined();
        await expect(store.close()).resolves.toBeUndefined();
      });

      it('writes after close reject rather than hang', async () => {
        const store = await open();
        await store.record(entry(1));
        await store.close();
        await expect(store.record(entry(2))).rejects.toThrow();
        await expect(store.replace(entry(1, { output: { content: 'after close' } }))).rejects.toThrow();
        await expect(store.importRows(inBatches([entry(3)]), 'keep')).rejects.toThrow();
        await expect(store.delete('default', [entry(1).key])).rejects.toThrow();
        // Reads may answer or refuse, but settle.
        expect(await settlement(store.find('default', entry(1).key))).not.toBe('timed out');
        expect(await settlement(store.count({}))).not.toBe('timed out');
      });

      it.skipIf(noReopen)('writes after close change nothing', async () => {
        const store = await open();
        await store.record(entry(1));
        await store.close();
        await settlement(store.record(entry(2)));
        await settlement(store.replace(entry(1, { output: { content: 'after close' } })));
        const other = await reopen(store);
        expect(await other.find('default', entry(1).key)).toEqual(outcomeOf(entry(1)));
        expect(await other.find('default', entry(2).key)).toBeUndefined();
      });

      it('claims after close are refused rather than granted', async () => {
        const store = await open();
        const held = claimed(await store.claim('default', 'key-1', 10_000));
        await store.close();
        expect(await settlement(store.claim('default', 'key-2', 10_000))).toBe('rejected');
        expect(await settlement(store.renew(held, 10_000))).toBe('rejected');
      });

      it('waits for a record under way on a store already written to', async () => {
        const store = await open();
        await store.record(entry(1));
        const pending = store.record(entry(2));
        pending.catch(() => undefined);
        await store.close();
        await expect(pending).resolves.toMatchObject({ inserted: true });
      });

      it('waits for a record under way that is the first write of the store', async () => {
        const store = await open();
        const pending = store.record(entry(1));
        pending.catch(() => undefined);
        await store.close();
        await expect(pending).resolves.toMatchObject({ inserted: true });
      });

      it.skipIf(noReopen)('keeps a record under way at close, for the next handle to find', async () => {
        const store = await open();
        const pending = Promise.all([store.record(entry(1)), store.record(entry(2))]);
        pending.catch(() => undefined);
        await store.close();
        await settlement(pending);
        const other = await reopen(store);
        expect(await other.find('default', entry(1).key)).toEqual(outcomeOf(entry(1)));
        expect(await other.find('default', entry(2).key)).toEqual(outcomeOf(entry(2)));
      });
    });
  });
}
