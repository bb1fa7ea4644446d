import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { SqliteStore } from '../../src/cache/sqlite/store.js';
import type { RecordingStore } from '../../src/cache/types.js';
import { cacheRow } from '../support/cache-seed.js';
import { tempCachePath } from '../support/temp.js';
import { describeStoreContract } from './store-contract.js';

/** Short, so that a store that wrongly waits fails fast with CACHE_BUSY instead of at the test timeout. */
const busyTimeoutMs = 5_000;

describeStoreContract('SQLite store', {
  async open() {
    return new SqliteStore(tempCachePath(), { busyTimeoutMs });
  },
  async reopen(store: RecordingStore) {
    return new SqliteStore(store.location, { busyTimeoutMs });
  },
});

function openStore(path: string): SqliteStore {
  const store = new SqliteStore(path, { busyTimeoutMs });
  onTestFinished(() => store.close());
  return store;
}

describe('SQLite store: the file', () => {
  it('a missing file reads as empty, and no read, claim or delete creates it', async () => {
    const path = tempCachePath();
    const store = openStore(path);
    const row = cacheRow({});
    await store.check();
    expect(await store.find(row.org, row.key)).toBeUndefined();
    expect(await store.rowsByKey(row.org, [row.key])).toEqual([]);
    expect(await store.recent(row.org, row.bot_id, row.action_type, 10)).toEqual([]);
    expect(await store.rowsWithKeyPrefix(row.org, row.key.slice(0, 4), 10)).toEqual([]);
    expect(await store.count({})).toBe(0);
    for await (const summary of store.summaries({})) expect.unreachable(`a summary of a missing file: ${summary.key}`);
    for await (const listed of store.rows({})) expect.unreachable(`a row of a missing file: ${listed.key}`);
    expect(await store.delete(row.org, [row.key])).toBe(0);
    const claim = await store.claim(row.org, row.key, 10_000);
    expect(claim.claimed).toBe(true);
    if (claim.claimed) await store.release(claim.claim);
    expect(await store.size()).toBe(0);
    expect(await store.exists()).toBe(false);
    expect(existsSync(path)).toBe(false);
    expect(readdirSync(dirname(path))).toEqual([]);
  });

  it('the first write creates the file, and leaves nothing beside it', async () => {
    const path = tempCachePath();
    const store = openStore(path);
    const row = cacheRow({});
    expect(await store.find(row.org, row.key)).toBeUndefined();
    await store.record(row);
    expect(existsSync(path)).toBe(true);
    expect(readdirSync(dirname(path))).toEqual(['cache.sqlite']);
    expect(await store.find(row.org, row.key)).toMatchObject({ output: row.output });
  });

  it('location is the path it was opened on', () => {
    const path = tempCachePath();
    expect(openStore(path).location).toBe(path);
  });

  it('an empty (0-byte) file reads as empty and is not changed by reads', async () => {
    const path = tempCachePath();
    writeFileSync(path, '');
    const store = openStore(path);
    const row = cacheRow({});
    await store.check();
    expect(await store.find(row.org, row.key)).toBeUndefined();
    expect(await store.count({})).toBe(0);
    expect(readFileSync(path).length).toBe(0);
    await store.record(row);
    expect(await store.find(row.org, row.key)).toMatchObject({ output: row.output });
  });

  it('a handle that read an empty (0-byte) file sees what another handle records in it afterwards', async () => {
    const path = tempCachePath();
    writeFileSync(path, '');
    const reader = openStore(path);
    const writer = openStore(path);
    const row = cacheRow({});
    expect(await reader.find(row.org, row.key)).toBeUndefined();
    await writer.record(row);
    expect(await reader.count({})).toBe(1);
    expect(await reader.find(row.org, row.key)).toMatchObject({ output: row.output });
  });
});
