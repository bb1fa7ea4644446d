import { resolve } from 'node:path';
import { UsageError } from '../errors.js';
import type { LlmSettings, ModelPrice } from '../actions/types.js';
import { defaultProviders } from '../live/llm/select.js';
import { defaultPrices } from '../live/llm/prices.js';
import { parseDuration } from './duration.js';
import { loadConfigFile, type ConfigFile } from './file.js';

type CommandBotDefinitionFields = NonNullable<ConfigFile['agents']>[string];

export const modeNames = ['live', 'replay', 'manual'] as const;
export type ModeName = (typeof modeNames)[number];

export const defaultCachePath = 'cache/rehearse.sqlite';
export const defaultOrg = 'default';
export const defaultStatePath = '.rehearse/state.sqlite';
export const defaultDatasetsDir = 'fixtures/datasets';

/** Settings a caller may give for one invocation; each wins over the environment and the config file. */
export interface SettingsOverrides {
  mode?: ModeName;
  refresh?: boolean;
  strict?: boolean;
  org?: string;
  cachePath?: string;
  configPath?: string;
  cwd?: string;
  /** Recordings older than this are misses: "30d", "12h", or milliseconds. */
  maxAge?: string | number;
}

export interface ResolvedConfig {
  cwd: string;
  root: string;
  configFile: string | undefined;
  mode: ModeName;
  refresh: boolean;
  strict: boolean;
  org: string;
  /** The cache file (cache.path, REHEARSE_CACHE, --cache): the committed one, read before a team store. */
  cachePath: string;
  /** A PostgreSQL team store (cache.url, REHEARSE_CACHE_URL, or --cache postgres://...); recordings go there. */
  cacheUrl: string | undefined;
  /** Whether the file is used: not when --cache (or REHEARSE_CACHE) names a server only. */
  cacheFile: boolean;
  /** Types replay mode caches; undefined means each type's own default. */
  cachedActions: ReadonlySet<string> | undefined;
  cacheIgnore: readonly string[];
  /** Recordings older than this are misses; undefined: they never expire. */
  cacheMaxAgeMs: number | undefined;
  /** Secret patterns of the config, beside the built-in ones. */
  cacheRedact: readonly string[];
  botGlobs: readonly string[];
  /** Agents run as programs, from the config's `agents`. */
  agents: Readonly<Record<string, CommandBotDefinitionFields>>;
  statePath: string;
  datasetsDir: string;
  prices: Readonly<Record<string, ModelPrice>>;
  llm: LlmSettings;
}

export function parseMode(value: string, source: string): ModeName {
  if ((modeNames as readonly string[]).includes(value)) return value as ModeName;
  throw new UsageError(`${source} is "${value}", which is not a mode. Use one of: ${modeNames.join(', ')}.`);
}

function parseFlag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(value)) return true;
  if (/^(0|false|no|off)$/i.test(value)) return false;
  throw new UsageError(`${name} is "${value}"; use 1 or 0.`);
}

const orgPattern = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** `source` says where the org was given when it was not an option of the call (a variable, the config file). */
export function checkOrg(org: string, source?: string): string {
  if (!orgPattern.test(org)) {
    throw new UsageError(`Org "${org}" is not a valid name: use letters, digits, ".", "_" or "-" (at most 128).${source ? ` It comes from ${source}.` : ''}`);
  }
  return org;
}

const isServerUrl = (location: string) => /^postgres(?:ql)?:\/\//i.test(location);

/**
 * A URL of another scheme (mysql://, https://) would otherwise be taken for a file path and a
 * folder named "mysql:" made beside the project; only the scheme is named, never the password.
 */
function checkCacheLocation(location: string, source: string, urlOnly = false): string {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(location)?.[1];
  if (isServerUrl(location) || (!urlOnly && scheme === undefined)) return location;
  const what = scheme === undefined ? 'is not a URL' : `is a ${scheme}:// URL`;
  throw new UsageError(`${source} ${what}: recordings live in a SQLite file (a path) or in PostgreSQL (a postgres:// URL).`, {
    hint: urlOnly
      ? `Give ${source} a postgres://user@host:port/database URL, or put a file path in REHEARSE_CACHE (or cache.path).`
      : 'Give a file path such as cache/rehearse.sqlite, or a postgres://user@host:port/database URL.',
  });
}

/**
 * Where recordings are. A location given to this call (--cache) or by REHEARSE_CACHE is used alone:
 * a path is that file, a postgres:// URL that server. Otherwise the file of cache.path and, when
 * REHEARSE_CACHE_URL or cache.url names one, a team server behind it.
 */
function cacheLocation(
  given: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  config: { path?: string | undefined; url?: string | undefined } | undefined,
  cwd: string,
  root: string,
): Pick<ResolvedConfig, 'cachePath' | 'cacheUrl' | 'cacheFile'> {
  const defaultFile = resolve(root, config?.path ?? defaultCachePath);
  const alone = given ? checkCacheLocation(given, '--cache') : env.REHEARSE_CACHE ? checkCacheLocation(env.REHEARSE_CACHE, 'REHEARSE_CACHE') : undefined;
  if (alone !== undefined) {
    return isServerUrl(alone) ? { cachePath: defaultFile, cacheUrl: alone, cacheFile: false } : { cachePath: resolve(cwd, alone), cacheUrl: undefined, cacheFile: true };
  }
  const envUrl = env.REHEARSE_CACHE_URL ? checkCacheLocation(env.REHEARSE_CACHE_URL, 'REHEARSE_CACHE_URL', true) : undefined;
  return { cachePath: defaultFile, cacheUrl: envUrl || config?.url || undefined, cacheFile: true };
}

/** Call options > REHEARSE_* environment variables > rehearse.config.json > defaults. */
export function resolveConfig(overrides: SettingsOverrides, env: Readonly<Record<string, string | undefined>>): ResolvedConfig {
  const cwd = resolve(overrides.cwd ?? process.cwd());
  const { root, file, config } = loadConfigFile(cwd, overrides.configPath ?? (env.REHEARSE_CONFIG || undefined));
  const envMode = env.REHEARSE_MODE ? parseMode(env.REHEARSE_MODE, 'REHEARSE_MODE') : undefined;
  const mode = overrides.mode ?? envMode ?? config.mode ?? 'live';
  parseMode(mode, 'mode');
  const maxAge = overrides.maxAge ?? (env.REHEARSE_MAX_AGE || undefined) ?? config.cache?.maxAge;
  const cache = cacheLocation(overrides.cachePath, env, config.cache, cwd, root);
  return {
    cwd,
    root,
    configFile: file,
    mode,
    refresh: overrides.refresh ?? parseFlag(env.REHEARSE_REFRESH, 'REHEARSE_REFRESH') ?? false,
    strict: overrides.strict ?? parseFlag(env.REHEARSE_STRICT, 'REHEARSE_STRICT') ?? false,
    org: checkOrg(
      overrides.org ?? (env.REHEARSE_ORG || undefined) ?? config.org ?? defaultOrg,
      overrides.org !== undefined ? undefined : env.REHEARSE_ORG ? 'REHEARSE_ORG' : config.org !== undefined ? `${file} at $.org` : undefined,
    ),
    ...cache,
    cachedActions: config.cache?.actions ? new Set(config.cache.actions) : undefined,
    cacheIgnore: config.cache?.ignore ?? [],
    cacheMaxAgeMs: maxAge === undefined ? undefined : parseDuration(maxAge, overrides.maxAge !== undefined ? 'maxAge' : env.REHEARSE_MAX_AGE ? 'REHEARSE_MAX_AGE' : `${file} at $.cache.maxAge`),
    cacheRedact: config.cache?.redact ?? [],
    botGlobs: config.bots ?? [],
    agents: config.agents ?? {},
    statePath: env.REHEARSE_STATE ? resolve(cwd, env.REHEARSE_STATE) : resolve(root, config.state?.path ?? defaultStatePath),
    datasetsDir: resolve(root, config.datasets?.dir ?? defaultDatasetsDir),
    prices: { ...defaultPrices(), ...config.prices },
    llm: {
      retries: config.llm?.retries ?? 2,
      timeoutMs: config.llm?.timeoutMs ?? 60_000,
      providers: { ...defaultProviders(), ...config.llm?.providers },
    },
  };
}
