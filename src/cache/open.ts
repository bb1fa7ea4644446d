import { resolve } from 'node:path';
import { LayeredStore } from './layered-store.js';
import { isPostgresUrl, printableUrl } from './postgres/location.js';
import { PostgresStore } from './postgres/store.js';
import { busyTimeoutFrom } from './sqlite/busy.js';
import { SqliteStore } from './sqlite/store.js';
import type { RecordingStore } from './types.js';

type Env = Readonly<Record<string, string | undefined>>;

/** Where a configuration keeps its recordings (see resolveConfig). */
export interface CacheSettings {
  cachePath: string;
  cacheUrl: string | undefined;
  cacheFile: boolean;
}

/** A store of its own at one location: a postgres:// URL is a PostgreSQL store, anything else a SQLite file. */
export function openStore(location: string, env: Env = process.env): RecordingStore {
  return isPostgresUrl(location) ? new PostgresStore(location) : new SqliteStore(resolve(location), { busyTimeoutMs: busyTimeoutFrom(env) });
}

/** The store a configuration means: its file, its team server, or the file in front of the server. */
export function openConfiguredStore(settings: CacheSettings, env: Env = process.env): RecordingStore {
  if (settings.cacheUrl === undefined) return openStore(settings.cachePath, env);
  if (!settings.cacheFile) return openStore(settings.cacheUrl, env);
  return new LayeredStore(openStore(settings.cachePath, env), openStore(settings.cacheUrl, env));
}

/**
 * Where the maintenance commands (`rehearse cache ...`) work: the team server when there is one,
 * else the file. `--cache <path>` picks the file.
 */
export function maintainedLocation(settings: CacheSettings): string {
  return settings.cacheUrl ?? settings.cachePath;
}

/** The cache maintenance and usage records name: the file's path, or the server's URL without its password. */
export function cacheIdentity(settings: CacheSettings): string {
  return settings.cacheUrl === undefined ? settings.cachePath : printableUrl(settings.cacheUrl);
}

const shared = new Map<string, RecordingStore>();

/**
 * The store of this process for a configuration, opened on first use and kept open: a long-lived
 * process (rehearse serve, a vitest worker) replays and records through one connection instead of
 * opening the file (or the server) for every invocation. Left open, it holds nothing a crash could
 * lose: every write is committed when it resolves. closeSharedStores() closes them (rehearse serve
 * does on shutdown).
 */
export function sharedStore(settings: CacheSettings, env: Env = process.env): RecordingStore {
  const id = [settings.cacheFile ? resolve(settings.cachePath) : '', settings.cacheUrl ?? ''].join('\u0000');
  let store = shared.get(id);
  if (!store) shared.set(id, (store = openConfiguredStore(settings, env)));
  return store;
}

/** Closes every shared store, after the writes under way. */
export async function closeSharedStores(): Promise<void> {
  const stores = [...shared.values()];
  shared.clear();
  await Promise.all(stores.map((store) => store.close()));
}
