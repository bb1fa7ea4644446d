/**
 * agent-rehearse/vitest: one test suite for all three worlds.
 *
 * The same tests run as unit tests against their mocks (`npx vitest`: manual mode), in CI against the
 * committed recordings (`REHEARSE_MODE=replay REHEARSE_STRICT=1 npx vitest`: a missing recording fails
 * its test and never calls a provider), and re-record locally (`REHEARSE_REFRESH=1 npx vitest`: replay
 * mode, every cached action live and recorded again). REHEARSE_ORG and REHEARSE_CACHE choose the org and
 * the cache file, as for invoke(). Unlike invoke(), whose default is live, a test's default mode is the
 * config file's, else manual: a suite never spends money unless it is asked to.
 *
 * Wiring, in vitest.config.ts:
 *
 *   import { defineConfig } from 'vitest/config';
 *   import { RehearseReporter } from 'agent-rehearse/vitest/reporter';
 *
 *   export default defineConfig({
 *     test: {
 *       setupFiles: ['agent-rehearse/vitest/setup'],              // registers the matchers
 *       reporters: ['default', new RehearseReporter()],     // the end-of-run summary
 *     },                                                    // (or 'agent-rehearse/vitest/reporter' as a string)
 *   });
 *
 * The matchers' types come with any `import ... from 'agent-rehearse/vitest'` (or `"types": ["agent-rehearse/vitest"]`
 * in tsconfig.json). In a test:
 *
 *   import { invokeForTest, isolate } from 'agent-rehearse/vitest';
 *
 *   describe('support bot', () => {
 *     isolate({ org: true }); // each test its own org: its recordings are served to it alone
 *     it('answers', async () => {
 *       const result = await invokeForTest(supportBot, { input: 'Where is my order?', mocks });
 *       expect(result).toHaveSucceeded();       // else: the error code, message and hint (a strict miss's record command)
 *       expect(result).toHaveUsedAction('llm.message', { times: 1 });
 *     });
 *   });
 *
 * - invokeForTest(bot, options) is invoke() with the test's mode, its isolation and its signal; mocks are
 *   passed in manual mode only, so one test serves every mode.
 * - isolate({ org: true }) names each test's org after the test (`support-bot-answers-1a2b3c4d`: a slug
 *   plus a hash of its file and full name), the same on every run and clone, so its recordings are found
 *   again; renaming a test or its file re-records it. isolate({ cache: true }) or useTemporaryCache()
 *   give a test an empty cache file, removed when it ends: for tests that record and replay within
 *   themselves (under strict replay an empty cache only misses). useOrg(name?) names one test's org.
 * - Concurrent tests pass their context (`invokeForTest(bot, { ..., context })`, `useOrg(name, context)`):
 *   vitest cannot tell which of several running tests is calling.
 * - The summary lists invocations (by mode), cache hits, misses, recordings, cost saved and spent, and
 *   every strict miss with its test, the command that re-runs that test to record it
 *   (`REHEARSE_MODE=replay npx vitest run <file> -t <test>`) and the CLI's record command. Workers are
 *   separate threads or processes: each appends a JSON line per invocation to a file the reporter
 *   creates and hands them through vitest's provide/inject; the reporter reads it when the run ends.
 */
import './provided.js';

export { invokeForTest, testSettings, type TestInvokeOptions } from './invoke-for-test.js';
export { isolate, useOrg, useTemporaryCache, orgForTest, testName, type IsolateOptions, type TestTask } from './isolation.js';
export { rehearseMatchers, type RehearseMatchers, type UsedActionOptions } from './matchers.js';
export type { TestSettings } from './settings.js';
export type { InvocationRecord, StrictMissRecord } from './summary-record.js';
export type { RunSummary, StrictMissInTest } from './summary-report.js';
