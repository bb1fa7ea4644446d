import { resolve } from 'node:path';
import type { Argv } from 'yargs';
import { findBots } from '../../bots/find.js';
import { botVersion } from '../../bots/version.js';
import type { EntryFilter, ListedEntry, Selection, UsageByOrg } from '../../cache/filters.js';
import { cacheIdentity, maintainedLocation, openStore } from '../../cache/open.js';
import type { RecordingStore } from '../../cache/types.js';
import { resolveConfig, type ResolvedConfig } from '../../config/resolve.js';
import { isRehearseError, UsageError } from '../../errors.js';
import { formatUsd } from '../../format/content.js';
import { readCacheUsage, readCacheUsageByOrg, type CacheEntryUsage } from '../../state/cache-usage.js';
import { parseSince } from '../since.js';
import { stateOptions } from '../state-options.js';
import { shortTime, table } from '../table.js';

/** The options of every cache command: which cache, which state file, which org, which config, which format. */
export function cacheOptions<T>(command: Argv<T>) {
  return stateOptions(command).option('cache', {
    type: 'string',
    describe: 'Cache file, or postgres:// URL of a team cache [env REHEARSE_CACHE; default: the config\'s cache.url if set (REHEARSE_CACHE_URL), else cache.path, cache/rehearse.sqlite]',
  });
}

/** `--all-orgs`: ls, stats, export, verify, prune and clear work on every org of the cache instead of one. */
export function allOrgsOption<T>(command: Argv<T>) {
  return command.option('all-orgs', { type: 'boolean', describe: "Every org of the cache, not only --org (each entry's org is shown)" });
}

/**
 * The org a command is limited to, or undefined for every org (--all-orgs). An --org given beside
 * --all-orgs is refused rather than one of them silently ignored.
 */
export function orgScope(args: { allOrgs?: boolean | undefined; org?: string | undefined }, target: CacheTarget): string | undefined {
  if (!args.allOrgs) return target.org;
  if (args.org !== undefined) {
    throw new UsageError(`--all-orgs and --org ${args.org} ask for different scopes.`, { hint: 'Give --org for one org, or --all-orgs for every org.' });
  }
  return undefined;
}

/** "org acme", or "every org" for --all-orgs. */
export function scopeWords(org: string | undefined): string {
  return org === undefined ? 'every org' : `org ${org}`;
}

/** The filters ls, clear and prune share. */
export function filterOptions<T>(command: Argv<T>) {
  return command
    .option('bot', { type: 'string', describe: 'Only entries of this bot' })
    .option('action', { type: 'string', describe: 'Only entries of this action type (llm.message, codeexec.run, ...)' })
    .option('older-than', { type: 'string', describe: 'Only entries recorded before: a duration back from now (30d, 12h) or an ISO date' })
    .option('unused-since', {
      type: 'string',
      describe: 'Only entries not replayed since: a duration (30d) or an ISO date (one never replayed counts from when it was recorded)',
    })
    .option('stale', { type: 'boolean', describe: "Only entries whose bot version is not the bot's current one (bots found through the config)" });
}

export interface CacheTarget {
  config: ResolvedConfig;
  /** The cache as messages name it: the file, or the team server's URL without its password. */
  cachePath: string;
  /** What the store is opened with: the file, or the team server's URL. */
  storeLocation: string;
  statePath: string;
  org: string;
}

/** The cache, state file and org a command works on: its options, else the environment and rehearse.config.json. */
export function cacheTarget(args: { cache?: string | undefined; state?: string | undefined; org?: string | undefined; config?: string | undefined }): CacheTarget {
  const config = resolveConfig(
    {
      ...(args.org !== undefined && { org: args.org }),
      ...(args.config !== undefined && { configPath: args.config }),
      ...(args.cache !== undefined && { cachePath: args.cache }),
    },
    process.env,
  );
  const storeLocation = maintainedLocation(config);
  return { config, cachePath: cacheIdentity(config), storeLocation, statePath: args.state !== undefined ? resolve(config.cwd, args.state) : config.statePath, org: config.org };
}

/** Runs `work` with the command's cache store open, and closes it after. */
export async function withStore<T>(target: CacheTarget, work: (store: RecordingStore) => Promise<T>): Promise<T> {
  const store = openStore(target.storeLocation);
  try {
    return await work(store);
  } finally {
    await store.close();
  }
}

/** `--older-than` and `--unused-since`: a duration back from now or an ISO date, as ISO text. */
export function parseTimeOption(option: string, text: string): string {
  try {
    return parseSince(text);
  } catch (error) {
    if (!isRehearseError(error)) throw error;
    throw new UsageError(`--${option} "${text}" is neither a duration nor a date.`, { ...(error.hint !== undefined && { hint: error.hint }) });
  }
}

export interface FilterArgs {
  bot?: string | undefined;
  action?: string | undefined;
  olderThan?: string | undefined;
  unusedSince?: string | undefined;
  stale?: boolean | undefined;
}

export function entryFilter(args: FilterArgs): EntryFilter {
  return {
    ...(args.bot !== undefined && { botId: args.bot }),
    ...(args.action !== undefined && { actionType: args.action }),
    ...(args.olderThan !== undefined && { olderThan: parseTimeOption('older-than', args.olderThan) }),
    ...(args.unusedSince !== undefined && { unusedSince: parseTimeOption('unused-since', args.unusedSince) }),
    ...(args.stale === true && { stale: true }),
  };
}

/** The filter as words: "bot support-bot, recorded before 2025-01-01 00:00:00 UTC". */
export function describeFilter(filter: EntryFilter): string {
  const parts: string[] = [];
  if (filter.botId !== undefined) parts.push(`bot ${filter.botId}`);
  if (filter.actionType !== undefined) parts.push(`action ${filter.actionType}`);
  if (filter.olderThan !== undefined) parts.push(`recorded before ${shortTime(filter.olderThan)} UTC`);
  if (filter.unusedSince !== undefined) parts.push(`not replayed since ${shortTime(filter.unusedSince)} UTC`);
  if (filter.stale) parts.push('stale');
  return parts.join(', ');
}

/** Per-entry hits and last use, from the local state file. */
export function cacheUsage(target: CacheTarget): Map<string, CacheEntryUsage> {
  return readCacheUsage(target.statePath, target.cachePath, target.org);
}

/** Per-entry hits and last use of one org, or of every org, by org and then key. */
export function cacheUsageByOrg(target: CacheTarget, org: string | undefined): UsageByOrg {
  return readCacheUsageByOrg(target.statePath, target.cachePath, org);
}

/** The current version of every bot the config's `bots` globs lead to, by bot id (only loaded for --stale). */
export async function currentBotVersions(config: ResolvedConfig): Promise<Map<string, string>> {
  const bots = await findBots(config);
  return new Map([...bots.values()].map((bot) => [bot.key, botVersion(bot)]));
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) (value /= 1024), unit++;
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Enough of a key to give back to `cache show`. */
export function shortKey(key: string): string {
  return key.slice(0, 12);
}

/** "1 entry", "2,000 entries". */
export function plural(count: number, word: string, words = `${word}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? word : words}`;
}

export function entries(count: number): string {
  return plural(count, 'entry', 'entries');
}

/** An entry as `--format json` prints it in listings. */
export function entryJson(entry: ListedEntry) {
  return {
    org: entry.org,
    key: entry.key,
    bot_id: entry.bot_id,
    bot_version: entry.bot_version,
    ...(entry.current_version !== undefined && { current_version: entry.current_version }),
    action_type: entry.action_type,
    occurrence: entry.occurrence,
    status: entry.status,
    created_at: entry.created_at,
    cost_usd: entry.cost_usd,
    bytes: entry.bytes,
    hits: entry.hits,
    last_used_at: entry.last_used_at,
  };
}

/** Entries as a table, one a line; with `withOrg` (a listing of several orgs) each names its org. */
export function entriesTable(entries: readonly ListedEntry[], withCurrent: boolean, withOrg = false): string[] {
  return table(
    [
      ...(withOrg ? [{ header: 'ORG', value: (entry: ListedEntry) => entry.org }] : []),
      { header: 'KEY', value: (entry: ListedEntry) => shortKey(entry.key) },
      { header: 'BOT', value: (entry: ListedEntry) => entry.bot_id },
      { header: 'VERSION', value: (entry: ListedEntry) => entry.bot_version },
      ...(withCurrent ? [{ header: 'CURRENT', value: (entry: ListedEntry) => entry.current_version ?? '' }] : []),
      { header: 'ACTION', value: (entry) => entry.action_type },
      { header: 'OCC', value: (entry) => String(entry.occurrence), align: 'right' as const },
      { header: 'RECORDED (UTC)', value: (entry) => shortTime(entry.created_at) },
      { header: 'SIZE', value: (entry) => formatBytes(entry.bytes), align: 'right' as const },
      { header: 'COST', value: (entry) => formatUsd(entry.cost_usd), align: 'right' as const },
      { header: 'HITS', value: (entry) => String(entry.hits), align: 'right' as const },
      { header: 'LAST HIT (UTC)', value: (entry) => (entry.last_used_at === null ? 'never' : shortTime(entry.last_used_at)) },
    ],
    entries,
  );
}

/** The note --stale adds: entries of bots the config does not lead to are neither stale nor current. */
export function botsNotFoundNote(selection: Selection, config: ResolvedConfig): string[] {
  if (selection.botsNotFound.size === 0) return [];
  const count = [...selection.botsNotFound.values()].reduce((sum, n) => sum + n, 0);
  const bots = [...selection.botsNotFound].map(([bot, n]) => `${bot} (${n})`).join(', ');
  const where = config.botGlobs.length === 0 ? `no bot files are configured in ${config.configFile ?? 'rehearse.config.json'}` : `not found through "bots" in ${config.configFile ?? 'rehearse.config.json'}`;
  return [`Not checked for staleness: ${entries(count)} of bots ${where}: ${bots}.`];
}

export function botsNotFoundJson(selection: Selection) {
  return [...selection.botsNotFound].map(([bot_id, entries]) => ({ bot_id, entries }));
}
