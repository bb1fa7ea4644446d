import { resolve } from 'node:path';
import { loadConfigFile } from '../config/file.js';
import { resolveConfig, type ResolvedConfig } from '../config/resolve.js';
import { UsageError } from '../errors.js';
import { defaultMaxBodyBytes } from '../http/body.js';
import { parseRateLimit } from './rate-limit.js';
import { defaultMaxTasks, defaultTaskTtlMs } from './tasks.js';
import type { RateLimit, ServeOptions } from './types.js';

export const defaultPort = 8787;
export const defaultHost = '127.0.0.1';

/** Everything the server runs with, settled once at start. */
export interface ServerSettings {
  port: number;
  host: string;
  maxBodyBytes: number;
  rateLimit: RateLimit | undefined;
  maxConcurrency: number | undefined;
  /** The accepted bearer tokens; undefined: no token needed. Each is a client of its own for the limits. */
  tokens: readonly string[] | undefined;
  allowFilePaths: boolean;
  maxTasks: number;
  taskTtlMs: number;
  log: (line: string) => void;
  /** The config as the server's invocations see it: bot files, org, state file. */
  config: ResolvedConfig;
  /** What every invocation is given, whatever the request says: the org, the cache, the config, the folder, the environment. */
  invocationDefaults: { org: string; cachePath: string; configPath: string | undefined; cwd: string; env: Readonly<Record<string, string | undefined>> };
}

function positiveInteger(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value < 1) throw new UsageError(`${name} is ${value}; give a whole number above 0.`);
  return value;
}

/** Loopback addresses, where a server without a token is only reachable from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

/** Options > rehearse.config.json `serve` > defaults; the token comes from REHEARSE_SERVER_TOKEN unless given. */
export function serverSettings(options: ServeOptions): ServerSettings {
  const cwd = resolve(options.cwd ?? process.cwd());
  const baseEnv = options.env ?? process.env;
  const configPath = options.configPath ?? (baseEnv.REHEARSE_CONFIG || undefined);
  const loaded = loadConfigFile(cwd, configPath);
  const fileServe = loaded.config.serve ?? {};
  // Invocations find the state file through REHEARSE_STATE, so --state reaches them the way it reaches the CLI.
  const env = options.statePath === undefined ? baseEnv : { ...baseEnv, REHEARSE_STATE: resolve(cwd, options.statePath) };
  const config = resolveConfig({ cwd, ...(configPath && { configPath }), ...(options.org !== undefined && { org: options.org }), ...(options.cachePath !== undefined && { cachePath: options.cachePath }) }, env);
  const port = options.port ?? fileServe.port ?? defaultPort;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`The port is ${port}; give a whole number from 0 (any free port) to 65535.`);
  const rateLimit = options.rateLimit ?? fileServe.rateLimit;
  if (options.token === undefined && baseEnv.REHEARSE_SERVER_TOKEN !== undefined && baseEnv.REHEARSE_SERVER_TOKEN.trim() === '') {
    // Set but empty is a mistake (a missing CI secret), not a wish for an open server.
    throw new UsageError('REHEARSE_SERVER_TOKEN is set but empty: the server would run with no token.', {
      hint: 'Set it to a secret (or several, comma-separated), or unset it to serve without a token (then only on 127.0.0.1).',
    });
  }
  const token = options.token ?? (baseEnv.REHEARSE_SERVER_TOKEN || undefined);
  // Several tokens, comma-separated, give several clients their own rate and concurrency budgets.
  const tokens = token?.split(',').map((one) => one.trim());
  if (tokens?.some((one) => one === '')) throw new UsageError('A server token is blank; set REHEARSE_SERVER_TOKEN to a secret (or several, comma-separated), or leave it unset.');
  return {
    port,
    host: options.host ?? fileServe.host ?? defaultHost,
    maxBodyBytes: positiveInteger(options.maxBodyBytes ?? fileServe.maxBodyBytes, 'The body limit') ?? defaultMaxBodyBytes,
    // A limit from the config file is named by the file and its place in it, as other config faults are.
    rateLimit: rateLimit === undefined ? undefined : parseRateLimit(rateLimit, options.rateLimit !== undefined ? 'rate limit' : `rate limit of ${loaded.file} at $.serve.rateLimit,`),
    maxConcurrency: positiveInteger(options.maxConcurrency ?? fileServe.maxConcurrency, 'The concurrency limit'),
    tokens,
    allowFilePaths: options.allowFilePaths ?? false,
    maxTasks: positiveInteger(options.tasks?.max, 'tasks.max') ?? defaultMaxTasks,
    taskTtlMs: positiveInteger(options.tasks?.ttlMs, 'tasks.ttlMs') ?? defaultTaskTtlMs,
    log: options.log ?? ((line) => process.stderr.write(`${line}\n`)),
    config,
    invocationDefaults: { org: config.org, cachePath: config.cachePath, configPath: config.configFile, cwd, env },
  };
}

/** `1048576`, `512kb`, `1mb`, `2MiB`: a size in bytes. */
export function parseByteSize(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|kib|k|mb|mib|m)?\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase();
  const factor = unit === undefined || unit === 'b' ? 1 : unit.startsWith('k') ? 1024 : 1024 * 1024;
  const bytes = match ? Math.floor(Number(match[1]) * factor) : NaN;
  if (!(bytes > 0)) throw new UsageError(`The size "${text}" is not a size; give bytes, or a number with kb or mb (1mb = 1048576 bytes).`);
  return bytes;
}
