/** The rehearse/vitest matchers on real results of invoke(): each passes, fails and negates with a message that says why. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineBot, invoke, type InvokeOptions, type InvokeResult, type Mocks } from '../../src/index.js';
import { rehearseMatchers } from '../../src/vitest/index.js';

expect.extend(rehearseMatchers);

const agent = defineBot({
  key: 'matcher-agent',
  version: '1',
  async run(input, ctx) {
    const first = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    await ctx.codeexec.run({ language: 'node', code: 'console.log(1)' });
    const second = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `${input.prompt} again` }] });
    return `${first.content} / ${second.content}`;
  },
});

const mocks: Mocks = {
  'llm.message': { status: 'success', output: 'fine' },
  'codeexec.run': { status: 'success', output: { stdout: '1\n', stderr: '', exit_code: 0 } },
};

let dir: string;

function run(options: InvokeOptions): Promise<InvokeResult> {
  return invoke(agent, { env: { REHEARSE_STATE: join(dir, 'state.sqlite') }, cwd: dir, input: 'Hi', ...options });
}

/** The message of a failed expectation. */
function failure(assertion: () => void): string {
  try {
    assertion();
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('the expectation passed');
}

let manual: InvokeResult;
let strictMiss: InvokeResult;
let brokenMock: InvokeResult;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rehearse-matchers-'));
  manual = await run({ mode: 'manual', mocks });
  strictMiss = await run({ mode: 'replay', strict: true, cachePath: join(dir, 'cache.sqlite') });
  brokenMock = await run({ mode: 'manual', mocks: { ...mocks, 'codeexec.run': { status: 'error', error: { message: 'sandbox on fire', code: 'E_FIRE' } } } });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('toHaveUsedAction', () => {
  it('passes on the count and source of the completed actions', () => {
    expect(manual).toHaveUsedAction('llm.message');
    expect(manual).toHaveUsedAction('llm.message', { times: 2, source: 'mock' });
    expect(manual).toHaveUsedAction('codeexec.run', { times: 1, source: ['live', 'mock'], status: 'success' });
    expect(manual).not.toHaveUsedAction('memory.search');
    expect(manual).not.toHaveUsedAction('llm.message', { source: 'cache' });
    expect(brokenMock).toHaveUsedAction('codeexec.run', { times: 1, status: 'error' });
  });

  it('fails with what was expected, what happened, and every action the run completed', () => {
    expect(failure(() => expect(manual).toHaveUsedAction('llm.message', { times: 3 }))).toBe(
      [
        'expected the invocation to use llm.message 3 times, but it used it 2 times.',
        'Actions of bot "matcher-agent" (manual mode), in order:',
        '  llm.message from mock: success  [matcher-agent]',
        '  codeexec.run from mock: success  [matcher-agent]',
        '  llm.message from mock: success  [matcher-agent]',
      ].join('\n'),
    );
    expect(failure(() => expect(manual).toHaveUsedAction('llm.message', { source: 'cache' }))).toMatch(
      /^expected the invocation to use llm\.message \(from cache\) at least once, but it used it 0 times\.\n/,
    );
    expect(failure(() => expect(brokenMock).toHaveUsedAction('llm.message', { times: 2 }))).toContain('  codeexec.run from mock: error (ACTION_FAILED)  [matcher-agent]');
  });

  it('negated, fails saying how often it was used', () => {
    expect(failure(() => expect(manual).not.toHaveUsedAction('codeexec.run', { times: 1 }))).toMatch(
      /^expected the invocation not to use codeexec\.run 1 time, but it used it 1 time\.\n/,
    );
  });
});

describe('toHaveCacheHits', () => {
  it('passes on the number of hits', () => {
    expect(manual).toHaveCacheHits(0);
    expect(manual).not.toHaveCacheHits(1);
  });

  it('fails with the hits, misses and recordings, and says when the run was not in replay mode', () => {
    expect(failure(() => expect(manual).toHaveCacheHits(2))).toMatch(
      /^expected the invocation to have 2 cache hits, but it had 0 \(misses 0, recorded 0; manual mode, org "default"\)\.\nOnly replay mode serves from the cache; this run was in manual mode \(set REHEARSE_MODE=replay\)\.\nActions of bot "matcher-agent"/,
    );
    expect(failure(() => expect(strictMiss).toHaveCacheHits(1))).toMatch(/^expected the invocation to have 1 cache hits, but it had 0 \(misses 1, recorded 0; replay mode, org "default"\)\.\nActions/);
    expect(failure(() => expect(manual).not.toHaveCacheHits(0))).toBe('expected the invocation not to have 0 cache hits, but it had 0 (misses 0, recorded 0; manual mode, org "default").');
  });
});

describe('toHaveSucceeded', () => {
  it('passes on a completed run, and negated on a failed one', () => {
    expect(manual).toHaveSucceeded();
    expect(strictMiss).not.toHaveSucceeded();
  });

  it('on a strict miss, fails with the error code, the miss and the hint holding the record command', () => {
    const message = failure(() => expect(strictMiss).toHaveSucceeded());
    expect(message).toMatch(
      /^expected the invocation of bot "matcher-agent" \(replay mode\) to succeed, but it failed with CACHE_STRICT_MISS: Strict replay miss: bot "matcher-agent" called llm\.message with params that have no recording\.\n/,
    );
    expect(message).toContain(`\n\n${strictMiss.error?.hint}`);
    expect(message).toContain('\n  npx rehearse invoke matcher-agent Hi --mode replay --cache cache.sqlite\n');
  });

  it('on a failed mock, fails with its error', () => {
    expect(failure(() => expect(brokenMock).toHaveSucceeded())).toBe(
      'expected the invocation of bot "matcher-agent" (manual mode) to succeed, but it failed with ACTION_FAILED: codeexec.run failed (mock): sandbox on fire\n\nerror code: E_FIRE',
    );
  });

  it('negated, fails with the output', () => {
    expect(failure(() => expect(manual).not.toHaveSucceeded())).toBe('expected the invocation of bot "matcher-agent" to fail, but it completed with: fine / fine');
  });
});

describe('every matcher', () => {
  it('fails, with or without .not, on something that is not an InvokeResult', () => {
    expect(failure(() => expect({ status: 'completed' }).toHaveSucceeded())).toBe(
      'toHaveSucceeded expects the result of invoke() or invokeForTest() (an InvokeResult), but got an object with keys status.',
    );
    expect(failure(() => expect(undefined).not.toHaveCacheHits(0))).toBe(
      'toHaveCacheHits expects the result of invoke() or invokeForTest() (an InvokeResult), but got undefined.',
    );
    expect(failure(() => expect(Promise.resolve(manual)).not.toHaveUsedAction('llm.message'))).toContain('toHaveUsedAction expects the result of invoke()');
  });

  it('works as an asymmetric matcher', () => {
    expect({ first: manual, second: strictMiss }).toEqual({ first: expect.toHaveSucceeded(), second: expect.toHaveCacheHits(0) });
    expect([manual]).toEqual([expect.toHaveUsedAction('codeexec.run', { times: 1 })]);
  });
});
