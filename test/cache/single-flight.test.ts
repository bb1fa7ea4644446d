/**
 * One live call per missing key: invocations that miss the same key at once (in one process, or in
 * several processes on one file) make one live call between them; the others wait and replay its
 * answer. The provider numbers its answers, so identical outputs prove they came from one call.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, type InvokeResult } from '../../src/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { nextMessage } from '../support/ipc.js';
import { tempCachePath } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const fixtures = resolve(import.meta.dirname, 'fixtures');
const calls = 50;

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
  // Each answer carries its request's number: two live calls for one question would answer differently.
  server.reply((request) => ({ kind: 'message', content: `answer #${server.requests.indexOf(request) + 1} to ${lastUserText(request.body)}`, delayMs: 15 }));
});
afterEach(() => server.close());

const bot = defineBot({
  key: 'single-flight-bot',
  version: 'v1',
  async run(_input, ctx) {
    const answers: Array<string | null> = [];
    for (let call = 0; call < calls; call++) {
      answers.push((await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `question ${call}` }] })).content);
    }
    return answers;
  },
});

/** The last message of a Chat Completions request: the question asked. */
function lastUserText(body: { messages: Array<{ content: string }> }): string {
  return body.messages.at(-1)!.content;
}

function questionsAsked(): string[] {
  return server.requests.map((request) => lastUserText(request.body));
}

describe('one live call per missing key', () => {
  it('8 invocations in one process: the provider sees each question once, and all 8 get the same answers', async () => {
    const cachePath = tempCachePath();
    const runs = await Promise.all(Array.from({ length: 8 }, () => invoke(bot, { input: 'go', mode: 'replay', cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } })));
    expect(runs.map((run) => run.error)).toEqual(Array(8).fill(undefined));
    expect(questionsAsked().sort()).toEqual(Array.from({ length: calls }, (_, call) => `question ${call}`).sort());
    const outputs = runs.map((run) => JSON.stringify(run.result.output));
    expect(new Set(outputs).size).toBe(1);
    expect(runs.reduce((sum, run) => sum + run.cache.recorded, 0)).toBe(calls);
    expect(runs.reduce((sum, run) => sum + run.cache.hits, 0)).toBe(7 * calls);
  }, 60_000);

  it('8 processes on one cache file: the provider sees exactly 50 calls, and all 8 complete with identical outputs', async () => {
    const cachePath = tempCachePath();
    const workers = Array.from({ length: 8 }, () =>
      spawn(process.execPath, ['--import', 'tsx', resolve(fixtures, 'single-flight-worker.ts'), cachePath, server.url, String(calls)], {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...suiteState() },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      }),
    );
    try {
      await Promise.all(workers.map((worker) => nextMessage(worker)));
      const results = workers.map((worker) => nextMessage(worker) as Promise<{ status: string; output: unknown; cache: InvokeResult['cache']; error: unknown }>);
      for (const worker of workers) worker.send('go');
      const seen = await Promise.all(results);
      expect(seen.map((result) => result.error)).toEqual(Array(8).fill(null));
      expect(server.requests).toHaveLength(calls);
      expect(new Set(questionsAsked()).size).toBe(calls);
      expect(new Set(seen.map((result) => JSON.stringify(result.output))).size).toBe(1);
      expect(seen.reduce((sum, result) => sum + result.cache.recorded, 0)).toBe(calls);
      expect(seen.reduce((sum, result) => sum + result.cache.hits, 0)).toBe(7 * calls);
    } finally {
      for (const worker of workers) if (worker.exitCode === null) worker.kill('SIGKILL');
    }
  }, 120_000);

  it('a recorder killed mid-call gives its claim up: the process waiting on it makes the call and records it', async () => {
    const cachePath = tempCachePath();
    let first = true;
    server.reply((request) => {
      if (first) return (first = false), { kind: 'hang' };
      return { kind: 'message', content: `answer #${server.requests.indexOf(request) + 1}` };
    });
    const dying = spawn(process.execPath, ['--import', 'tsx', resolve(fixtures, 'hanging-recorder.ts'), cachePath, server.url], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...suiteState() },
      stdio: 'inherit',
    });
    try {
      await until(() => server.requests.length === 1, 30_000); // the recorder holds its claim, its call unanswered
      const waiter = defineBot({
        key: 'dying-recorder-bot',
        version: 'v1',
        run: async (_input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'the slow question' }] })).content,
      });
      const waiting = invoke(waiter, { input: 'go', mode: 'replay', cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } });
      await new Promise((done) => setTimeout(done, 500));
      expect(server.requests).toHaveLength(1); // it waits for the claim's owner instead of calling too
      dying.kill('SIGKILL');
      const result = await waiting;
      expect(result.error).toBeUndefined();
      expect(result.result.output).toBe('answer #2');
      expect(result.cache).toMatchObject({ recorded: 1, hits: 0 });
      expect(server.requests).toHaveLength(2);
    } finally {
      if (dying.exitCode === null) dying.kill('SIGKILL');
    }
  }, 60_000);

  it('a recorder whose live call fails gives its claim up, and the next caller makes its own call', async () => {
    const cachePath = tempCachePath();
    server.reply((request) =>
      server.requests.indexOf(request) === 0 ? { kind: 'error', status: 400, message: 'a bad request' } : { kind: 'message', content: 'fine' },
    );
    const single = defineBot({ key: 'failing-first', version: 'v1', run: async (_input, ctx) => (await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'q' }] })).content });
    const [failed, succeeded] = await Promise.all([
      invoke(single, { input: 'a', mode: 'replay', cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } }),
      invoke(single, { input: 'b', mode: 'replay', cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } }),
    ]);
    expect(failed.error?.code).toBe('PROVIDER_ERROR');
    expect(succeeded.error).toBeUndefined();
    expect(succeeded.result.output).toBe('fine');
    expect(server.requests).toHaveLength(2);
  }, 30_000);
});


async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((done) => setTimeout(done, 20));
  }
}
