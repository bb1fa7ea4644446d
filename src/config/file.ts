import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkedBefore, rememberChecked } from './checked-before.js';
import type { z } from 'zod';
import { lazily, zod } from './lazy-zod.js';
import { patternProblem } from '../patterns/linear.js';
import { ConfigError } from '../errors.js';
import { providerNames } from '../providers/registry.js';
import { jsonPath } from './json-path.js';

export const configFileName = 'rehearse.config.json';

/** This module's own source: a config checked by another version of the schema is checked again. */
const checkerSource = lazily(() => readFileSync(fileURLToPath(import.meta.url), 'utf8'));

const configFile = lazily(() => {
  const z = zod();
  return z.strictObject({
  $schema: z.string().optional(),
  /** Globs of the files that define bots, relative to the config file. */
  bots: z.array(z.string().min(1)).optional(),
  /** Agents in any language, run as programs: key → { command, cwd?, env?, description?, version? }. */
  agents: z
    .record(
      z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'an agent key is a slug: lower-case letters, digits, ".", "_" or "-"'),
      z.strictObject({
        command: z.array(z.string().min(1)).min(1),
        /** Relative to the config file. */
        cwd: z.string().min(1).optional(),
        env: z.record(z.string(), z.string()).optional(),
        description: z.string().optional(),
        version: z.string().min(1).optional(),
        datasets: z.array(z.string().min(1)).optional(),
      }),
    )
    .optional(),
  mode: z.enum(['live', 'replay', 'manual']).optional(),
  org: z.string().optional(),
  cache: z
    .strictObject({
      path: z.string().min(1).optional(),
      /** A PostgreSQL team store (postgres://user@host:port/db); its password belongs in REHEARSE_CACHE_URL or PGPASSWORD, not here. */
      url: z
        .string()
        .regex(/^postgres(?:ql)?:\/\//i, 'cache.url must be a postgres:// URL (the file is cache.path)')
        .optional(),
      /** Action types replay mode caches; the default is each type's own policy (llm.message only). */
      actions: z.array(z.string().min(1)).optional(),
      /** Params paths dropped before hashing, e.g. "metadata.request_id". */
      ignore: z.array(z.string().min(1)).optional(),
      /** Recordings older than this are misses: "30d", "12h", or milliseconds. */
      maxAge: z.union([z.string().min(1), z.number().positive()]).optional(),
      /** More secret patterns (regular expressions) replaced before keying and writing. */
      redact: z
        .array(
          z.string().superRefine((pattern, context) => {
            const problem = patternProblem(pattern);
            if (problem) context.addIssue({ code: 'custom', message: `the pattern ${JSON.stringify(pattern)} cannot be used: ${problem}` });
          }),
        )
        .optional(),
    })
    .optional(),
  /** The local state file (sessions, runs, the memory index); git-ignore it. */
  state: z.strictObject({ path: z.string().min(1).optional() }).optional(),
  /** Where `datasets: ['slug']` finds `<slug>.jsonl|csv|md|txt`. */
  datasets: z.strictObject({ dir: z.string().min(1).optional() }).optional(),
  llm: z
    .strictObject({
      retries: z.number().int().min(0).max(10).optional(),
      timeoutMs: z.number().int().positive().max(600_000).optional(),
      /** Model-name prefix → provider, e.g. { "llama": "openai", "claude": "anthropic" }. */
      providers: z.record(z.string().min(1), z.enum(providerNames() as [string, ...string[]])).optional(),
    })
    .optional(),
  /** Model prices in US dollars per million tokens, over the built-in table. */
  prices: z.record(z.string().min(1), z.strictObject({ input: z.number().nonnegative(), output: z.number().nonnegative() })).optional(),
  /** Defaults of `rehearse serve`; its command-line options win. */
  serve: z
    .strictObject({
      port: z.number().int().min(0).max(65535).optional(),
      host: z.string().min(1).optional(),
      /** Request bodies above this many bytes are refused (413). */
      maxBodyBytes: z.number().int().positive().optional(),
      /** Invocations per client and window: "60/min", "10/s". */
      rateLimit: z.string().min(1).optional(),
      /** Invocations a client may have running at once. */
      maxConcurrency: z.number().int().positive().optional(),
    })
    .optional(),
  });
});

export type ConfigFile = z.infer<ReturnType<typeof configFile>>;

export interface LoadedConfigFile {
  /** The folder relative paths in the file start from. */
  root: string;
  file: string | undefined;
  config: ConfigFile;
}

/**
 * The rehearse.config.json of `cwd`, else of the nearest folder above it, as git finds `.git`: run
 * from a subfolder of a project, rehearse uses the project's config. Undefined when no folder up to
 * the root has one.
 */
export function findConfigFile(cwd: string): string | undefined {
  for (let folder = resolve(cwd); ; folder = dirname(folder)) {
    const file = join(folder, configFileName);
    if (existsSync(file)) return file;
    if (dirname(folder) === folder) return undefined;
  }
}

/**
 * Reads the given config file, else the nearest rehearse.config.json at or above `cwd`; no file means
 * no settings. Paths in the file are relative to its folder (`root`), wherever rehearse is run from.
 */
export function loadConfigFile(cwd: string, explicitPath?: string): LoadedConfigFile {
  const file = explicitPath ? resolve(cwd, explicitPath) : findConfigFile(cwd);
  if (file === undefined || !existsSync(file)) {
    if (explicitPath) throw new ConfigError(`The config file ${file} does not exist.`);
    return { root: cwd, file: undefined, config: {} };
  }
  if (statSync(file).isDirectory()) {
    throw new ConfigError(`The config file ${file} is a folder, not a file.`, { hint: `Name the file itself, e.g. ${resolve(file, configFileName)}.` });
  }
  let value: unknown;
  let text: string;
  try {
    // A byte-order mark (as some Windows editors save) is not part of the JSON.
    text = readFileSync(file, 'utf8').replace(/^\uFEFF/, '');
    value = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${file} is not valid JSON: ${(error as Error).message}`, { cause: error });
  }
  // The schema has no defaults or transforms: a config that passed it once is its own parsed value.
  if (checkedBefore(file, text, checkerSource())) return { root: resolve(file, '..'), file, config: value as ConfigFile };
  const checked = configFile().safeParse(value);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    // A bad key of a record (an agent key with a space) carries its reason one level down.
    const message = issue?.code === 'invalid_key' ? `the key ${JSON.stringify(issue.path.at(-1))} is not valid: ${issue.issues[0]?.message ?? 'invalid'}` : issue?.message;
    throw new ConfigError(`${file} at ${jsonPath(issue?.path ?? [])}: ${message ?? 'invalid'}`, {
      hint: 'Known settings: bots (globs), agents (commands), mode, org, cache.path, cache.url, cache.actions, cache.ignore, cache.maxAge, cache.redact, state.path, datasets.dir, prices, llm.retries, llm.timeoutMs, llm.providers, serve.port, serve.host, serve.maxBodyBytes, serve.rateLimit, serve.maxConcurrency.',
    });
  }
  rememberChecked(file, text, checkerSource());
  return { root: resolve(file, '..'), file, config: checked.data };
}
