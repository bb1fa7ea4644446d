import { resolve } from 'node:path';
import { busyTimeoutFrom } from './sqlite/busy.js';
import { SqliteStore } from './sqlite/store.js';
import type { RecordingStore } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** A store of its own for the cache at `location` (a file path), for a command that opens, works and closes. */
export function openStore(location: string, env: Env = process.env): RecordingStore {
  return new SqliteStore(resolve(location), { busyTimeoutMs: busyTimeoutFrom(env) });
}

const shared = new Map<string, RecordingStore>();

/**
 * The store of this process for `location`, opened on first use and kept open: a long-lived process
 * (rehearse serve, a vitest worker) replays and records through one connection instead of opening
 * the file for every invocation. Left open, it holds nothing a crash could lose: every write is
 * committed when it resolves. closeSharedStores() closes them (rehearse serve does on shutdown).
 */
export function sharedStore(location: string, env: Env = process.env): RecordingStore {
  const path = resolve(location);
  let store = shared.get(path);
  if (!store) shared.set(path, (store = openStore(path, env)));
  return store;
}

/** Closes every shared store, after the writes under way. */
export async function closeSharedStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((store) => store.close()));
}
