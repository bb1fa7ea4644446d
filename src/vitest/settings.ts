import { loadConfigFile } from '../config/file.js';
import { parseMode, resolveConfig, type ModeName, type SettingsOverrides } from '../config/resolve.js';

/** What one invocation from a test runs with, after the call, the test's isolation, the environment and the config. */
export interface TestSettings {
  mode: ModeName;
  refresh: boolean;
  strict: boolean;
  org: string;
  cachePath: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * The mode of a test invocation: the call's, else REHEARSE_MODE, else `replay` when REHEARSE_REFRESH or
 * REHEARSE_STRICT is set (they only mean something there), else the config file's, else `manual`.
 * Unlike invoke(), whose default is `live`, a test suite never spends money unless it is asked to.
 */
export function testMode(overrides: SettingsOverrides, env: Environment): ModeName {
  if (overrides.mode) return parseMode(overrides.mode, 'mode');
  if (env.REHEARSE_MODE) return parseMode(env.REHEARSE_MODE, 'REHEARSE_MODE');
  if (overrides.refresh || overrides.strict || isSet(env.REHEARSE_REFRESH) || isSet(env.REHEARSE_STRICT)) return 'replay';
  const { config } = loadConfigFile(overrides.cwd ?? process.cwd(), overrides.configPath ?? (env.REHEARSE_CONFIG || undefined));
  return config.mode ?? 'manual';
}

/** A flag counts as set when it says yes; resolveConfig rejects values that are neither yes nor no. */
function isSet(value: string | undefined): boolean {
  return value !== undefined && /^(1|true|yes|on)$/i.test(value);
}

/** The settings invoke() will use for these overrides and this environment, with the test's default mode. */
export function resolveTestSettings(overrides: SettingsOverrides, env: Environment): TestSettings {
  const mode = testMode(overrides, env);
  const config = resolveConfig({ ...overrides, mode }, env);
  return { mode, refresh: config.refresh, strict: config.strict, org: config.org, cachePath: config.cachePath };
}
