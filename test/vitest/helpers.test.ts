/** rehearse/vitest in-process: the mode a test runs in, per-test isolation, and the run summary's records and text. */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createColors } from 'picocolors';
import { defineBot, type InvokeResult } from '../../src/index.js';
import { invokeForTest, isolate, orgForTest, testSettings, useOrg, useTemporaryCache } from '../../src/vitest/index.js';
import { testMode } from '../../src/vitest/settings.js';
import { recordCommandOf, recordOf, rerunCommand, type InvocationRecord } from '../../src/vitest/summary-record.js';
import { formatSummary, readRecords, summarize } from '../../src/vitest/summary-report.js';
import { startOpenAIServer } from '../support/openai-server.js';

const dir = mkdtempSync(join(tmpdir(), 'rehearse-vitest-helpers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { REHEARSE_STATE: join(dir, 'state.sqlite') };

const echo = defineBot({
  key: 'echo-bot',
  version: '1',
  async run(input, ctx) {
    return (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] })).content;
  },
});
const mocks = { 'llm.message': { status: 'success' as const, output: 'mocked' } };

describe('the mode of a test', () => {
  const cwd = mkdtempSync(join(dir, 'project-'));

  it('is manual by default: a suite never spends money unless asked', () => {
    expect(testMode({ cwd }, {})).toBe('manual');
  });

  it('comes from REHEARSE_MODE, and REHEARSE_STRICT or REHEARSE_REFRESH alone mean replay', () => {
    expect(testMode({ cwd }, { REHEARSE_MODE: 'live' })).toBe('live');
    expect(testMode({ cwd }, { REHEARSE_STRICT: '1' })).toBe('replay');
    expect(testMode({ cwd }, { REHEARSE_REFRESH: 'true' })).toBe('replay');
    expect(testMode({ cwd }, { REHEARSE_STRICT: '0' })).toBe('manual');
    expect(testMode({ cwd, mode: 'manual' }, { REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1' })).toBe('manual');
    expect(() => testMode({ cwd }, { REHEARSE_MODE: 'recorded' })).toThrow('REHEARSE_MODE is "recorded", which is not a mode. Use one of: live, replay, manual.');
  });

  it('falls back to the config file’s mode before manual', () => {
    const configured = mkdtempSync(join(dir, 'configured-'));
    writeFileSync(join(configured, 'rehearse.config.json'), JSON.stringify({ mode: 'replay' }));
    expect(testMode({ cwd: configured }, {})).toBe('replay');
  });

  it('testSettings() shows the whole of it: mode, strict, refresh, org and cache path', () => {
    expect(testSettings({ cwd, env: { REHEARSE_STRICT: '1', REHEARSE_ORG: 'acme', REHEARSE_CACHE: 'recordings.sqlite' } })).toEqual({
      mode: 'replay',
      strict: true,
      refresh: false,
      org: 'acme',
      cachePath: join(cwd, 'recordings.sqlite'),
    });
  });
});

describe('invokeForTest', () => {
  it('runs manual with the mocks when the environment says nothing', async () => {
    const result = await invokeForTest(echo, { input: 'Hi', mocks, env, cwd: dir });
    expect(result.mode).toBe('manual');
    expect(result).toMatchObject({ success: true, result: { output: 'mocked' } });
  });

  it('leaves the mocks out in replay mode (no warning), and a strict miss fails the result, not the call', async () => {
    const warnings: string[] = [];
    const result = await invokeForTest(echo, {
      input: 'Hi',
      mocks,
      env: { ...env, REHEARSE_MODE: 'replay', REHEARSE_STRICT: '1', REHEARSE_CACHE: join(dir, 'empty.sqlite') },
      cwd: dir,
      printEvents: (event) => event.type === 'log' && warnings.push(event.message),
    });
    expect(result.mode).toBe('replay');
    expect(result.error?.code).toBe('CACHE_STRICT_MISS');
    expect(warnings).toEqual([]);
  });
});

describe('isolate({ org: true })', () => {
  isolate({ org: true });
  const seen: string[] = [];

  it('gives each test an org named after it', async ({ task }) => {
    const result = await invokeForTest(echo, { input: 'Hi', mocks, env, cwd: dir });
    expect(result.org).toBe(orgForTest(task));
    expect(result.org).toMatch(/^isolate-org-true-gives-each-test-an-org-named-after-it-[0-9a-f]{8}$/);
    seen.push(result.org);
  });

  it('and another to the next test; the call’s own org still wins', async () => {
    const result = await invokeForTest(echo, { input: 'Hi', mocks, env, cwd: dir });
    expect(seen).not.toContain(result.org);
    expect(result.org).toBe(testSettings().org);
    expect((await invokeForTest(echo, { input: 'Hi', mocks, env, cwd: dir, org: 'chosen' })).org).toBe('chosen');
  });
});

describe('orgForTest', () => {
  const task = (name: string, file = 'a.spec.ts') => ({ name, suite: { name: 'Support Bot' }, file: { name: file } });

  it('is the same on every run, differs between tests and files, and is always a valid org', () => {
    expect(orgForTest(task('answers refunds'))).toBe(orgForTest(task('answers refunds')));
    expect(orgForTest(task('answers refunds'))).toMatch(/^support-bot-answers-refunds-[0-9a-f]{8}$/);
    expect(orgForTest(task('answers refunds'))).not.toBe(orgForTest(task('answers refunds', 'b.spec.ts')));
    expect(orgForTest(task('Answers refunds!'))).not.toBe(orgForTest(task('answers refunds')));
    expect(orgForTest({ name: '— ✓ —' })).toMatch(/^test-[0-9a-f]{8}$/);
    expect(orgForTest(task('x'.repeat(500))).length).toBeLessThanOrEqual(128);
  });
});

describe('useOrg and useTemporaryCache', () => {
  let temporary = '';

  it('useOrg gives the running test an org; useTemporaryCache a cache file of its own', async () => {
    expect(useOrg('my-own')).toBe('my-own');
    temporary = useTemporaryCache();
    expect(existsSync(dirname(temporary))).toBe(true);
    expect(testSettings()).toMatchObject({ org: 'my-own', cachePath: temporary });
    const server = await startOpenAIServer();
    onTestFinished(() => server.close());
    const result: InvokeResult = await invokeForTest(echo, { input: 'Hi', env: { ...env, REHEARSE_MODE: 'replay', OPENAI_BASE_URL: server.url }, cwd: dir, mocks });
    expect(result).toMatchObject({ org: 'my-own', success: true, cache: { recorded: 1 } });
    expect(existsSync(temporary)).toBe(true);
  });

  it('the temporary cache is gone when its test ends, and the next test is back on the environment’s', () => {
    expect(temporary).not.toBe('');
    expect(existsSync(dirname(temporary))).toBe(false);
    expect(testSettings().cachePath).not.toBe(temporary);
    expect(testSettings().org).toBe(process.env.REHEARSE_ORG || 'default');
  });
});

describe.concurrent('concurrent tests', () => {
  isolate({ org: true, cache: true });
  const slowMocks = { 'llm.message': async () => (await new Promise((resolve) => setTimeout(resolve, 30)), { status: 'success' as const, output: 'slow' }) };

  for (const name of ['one', 'two', 'three']) {
    it(`${name} keeps its own org and cache when it names its context`, async (context) => {
      const result = await invokeForTest(echo, { input: name, mocks: slowMocks, env, cwd: dir, context });
      expect(result.org).toBe(orgForTest(context.task));
      expect(testSettings({ context }).cachePath).toMatch(/rehearse-vitest-[^/]+\/cache\.sqlite$/);
      expect(testSettings({ context }).org).toBe(result.org);
    });
  }
});

describe('outside a test', () => {
  let error: Error | undefined;
  beforeAll(() => {
    try {
      useTemporaryCache();
    } catch (thrown) {
      error = thrown as Error;
    }
  });

  it('useTemporaryCache and useOrg say what to do instead', () => {
    expect(error?.message).toBe('useTemporaryCache() was called outside a test.');
    expect((error as { hint?: string } | undefined)?.hint).toBe(
      'Call it inside a test or a beforeEach hook, or call isolate({ org: true }) / isolate({ cache: true }) in a describe block.',
    );
  });
});

describe('the summary', () => {
  const hint = 'To record it, run once without --strict:\n  npx rehearse invoke greeter Goodbye --mode replay\nor, from a test suite, ...';
  const base: InvocationRecord = {
    test: 'greeter > says hello',
    file: 'greeter.spec.ts',
    bot: 'greeter',
    mode: 'replay',
    org: 'default',
    status: 'completed',
    error: null,
    hits: 2,
    misses: 0,
    recorded: 0,
    savedCostUsd: 0.000012,
    costUsd: 0,
    strictMisses: [],
    rerun: null,
  };

  it('reads the command of a strict miss from its hint', () => {
    expect(recordCommandOf(hint)).toBe('npx rehearse invoke greeter Goodbye --mode replay');
    expect(recordCommandOf('no command here')).toBeNull();
    expect(recordCommandOf(undefined)).toBeNull();
  });

  it('the re-run command names the test alone, quoted for the shell, with the org and cache of the run', () => {
    expect(rerunCommand({ names: ["it's (a) test?"], file: 'dir/my file.spec.ts' }, { REHEARSE_CACHE: 'c.sqlite', REHEARSE_STRICT: '1' })).toBe(
      `REHEARSE_MODE=replay REHEARSE_CACHE=c.sqlite npx vitest run 'dir/my file.spec.ts' -t '(^| )it'\\''s \\(a\\) test\\?$'`,
    );
    expect(rerunCommand({ names: null, file: null }, {})).toBeNull();
  });

  it('a record holds the strict misses of the run, with the command and the re-run', async () => {
    const result = await invokeForTest(echo, { input: 'Bye', env: { ...env, REHEARSE_STRICT: '1', REHEARSE_CACHE: join(dir, 'none.sqlite') }, cwd: dir });
    const record = recordOf(result, { names: ['suite', 'test'], file: 'x.spec.ts' }, { REHEARSE_CACHE: 'none.sqlite' });
    expect(record).toMatchObject({ test: 'suite > test', mode: 'replay', status: 'failed', misses: 1, error: { code: 'CACHE_STRICT_MISS' } });
    expect(record.strictMisses).toEqual([
      {
        bot: 'echo-bot',
        actionType: 'llm.message',
        key: expect.stringMatching(/^[0-9a-f]{64}$/),
        message: 'Strict replay miss: bot "echo-bot" called llm.message with params that have no recording.',
        command: expect.stringMatching(/^npx rehearse invoke echo-bot Bye --mode replay --cache /),
      },
    ]);
    expect(record.rerun).toBe(`REHEARSE_MODE=replay REHEARSE_CACHE=none.sqlite npx vitest run x.spec.ts -t '(^| )suite test$'`);
  });

  it('adds up the records of every worker and prints every strict miss with its commands', () => {
    const file = join(dir, 'records.jsonl');
    const miss: InvocationRecord = {
      ...base,
      test: 'greeter > says goodbye',
      status: 'failed',
      error: { code: 'CACHE_STRICT_MISS', message: 'Strict replay miss' },
      hits: 0,
      misses: 1,
      savedCostUsd: 0,
      strictMisses: [{ bot: 'greeter', actionType: 'llm.message', key: 'd097855aab776599', message: 'Strict replay miss: bot "greeter" ...', command: 'npx rehearse invoke greeter Goodbye --mode replay' }],
      rerun: "REHEARSE_MODE=replay npx vitest run greeter.spec.ts -t '(^| )greeter says goodbye$'",
    };
    const manual: InvocationRecord = { ...base, mode: 'manual', hits: 0, savedCostUsd: 0, costUsd: 0 };
    const live: InvocationRecord = { ...base, hits: 0, misses: 1, recorded: 1, savedCostUsd: 0, costUsd: 0.0005 };
    writeFileSync(file, [base, miss, manual, live].map((record) => JSON.stringify(record)).join('\n') + '\n{"cut short');
    const summary = summarize(readRecords(file));
    expect(summary).toMatchObject({ invocations: 4, byMode: { live: 0, replay: 3, manual: 1 }, failed: 1, hits: 2, misses: 2, recorded: 1 });
    expect(formatSummary(summary, createColors(false))).toBe(
      [
        ' rehearse  4 invocations (replay 3, manual 1), 1 failed',
        '   cache: 2 hits, 2 misses, 1 recorded · cost saved $0.000012 · spent on live calls $0.000500',
        '   1 strict miss: a recording is missing; record it, then commit the cache:',
        '   ✗ greeter.spec.ts > greeter > says goodbye',
        '     Strict replay miss: bot "greeter" ...',
        '     bot greeter · llm.message · key d097855aab77',
        "     record it: REHEARSE_MODE=replay npx vitest run greeter.spec.ts -t '(^| )greeter says goodbye$'",
        '     or: npx rehearse invoke greeter Goodbye --mode replay',
      ].join('\n'),
    );
    expect(readRecords(join(dir, 'absent.jsonl'))).toEqual([]);
  });
});
