import { inject, type TestContext } from 'vitest';
import type { Bot } from '../bots/types.js';
import type { SettingsOverrides } from '../config/resolve.js';
import { invoke } from '../invoke/invoke.js';
import type { InvokeOptions, InvokeResult } from '../invoke/types.js';
import { modeNamed } from '../modes/index.js';
import { currentTest, testNames, testOverrides, type TestTask } from './isolation.js';
import { summaryFileKey } from './provided.js';
import { resolveTestSettings, type Environment, type TestSettings } from './settings.js';
import { appendRecord, recordOf } from './summary-record.js';

export interface TestInvokeOptions extends InvokeOptions {
  /** The test's context: give it in concurrent tests, where vitest cannot tell which test is running. */
  context?: TestContext;
}

/** The call's settings, over the running test's own org or cache (isolate, useOrg, useTemporaryCache). */
function settingsFor(options: SettingsOverrides, test: TestTask | undefined): SettingsOverrides {
  const isolated = testOverrides(test);
  return { ...options, org: options.org ?? isolated.org, cachePath: options.cachePath ?? isolated.cachePath };
}

/**
 * What an invocation from the running test would run with: mode, refresh, strict, org and cache path,
 * from the options, the test's isolation, REHEARSE_* in the environment and rehearse.config.json.
 */
export function testSettings(options: SettingsOverrides & { env?: Environment; context?: TestContext } = {}): TestSettings {
  const { env, context, ...overrides } = options;
  return resolveTestSettings(settingsFor(overrides, currentTest(context)), env ?? process.env);
}

/**
 * invoke() for a test: the mode comes from the environment (manual unless REHEARSE_MODE, REHEARSE_STRICT
 * or REHEARSE_REFRESH says otherwise), mocks are used in manual mode only, the test's own org or cache
 * applies, the test's signal cancels the run, and the result is recorded for the reporter's summary.
 */
export async function invokeForTest(bot: Bot | string, options: TestInvokeOptions = {}): Promise<InvokeResult> {
  const { context, ...rest } = options;
  const env = options.env ?? process.env;
  const test = currentTest(context);
  const overrides = settingsFor(rest, test);
  const { mode } = resolveTestSettings(overrides, env);
  const signal = options.signal ?? test?.context?.signal;
  const result = await invoke(bot, {
    ...rest,
    ...overrides,
    mode,
    // The same test runs in every mode; its mocks only mean something in manual mode.
    mocks: modeNamed(mode).needs.mocks ? options.mocks : undefined,
    ...(signal && { signal }),
  });
  const summaryFile = inject(summaryFileKey);
  if (summaryFile) appendRecord(summaryFile, recordOf(result, { names: test ? testNames(test) : null, file: test?.file?.name ?? null }, env));
  return result;
}
