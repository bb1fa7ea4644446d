import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, type ActionCompletedEvent, type Bot } from '../../src/index.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

const root = resolve(import.meta.dirname, '../..');

let server: FakeOpenAIServer;
beforeEach(async () => {
  server = await startOpenAIServer();
});
afterEach(() => server.close());

const refundChecker = defineBot({
  key: 'refund-checker',
  version: 'rc-1',
  async run(input, ctx) {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: `Is this refundable? ${input.prompt}` }] });
    return { content: answer.content ?? '' };
  },
});

const supportDesk = defineBot({
  key: 'support-desk',
  version: 'sd-1',
  async run(input, ctx) {
    const triage = await ctx.llm.message({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
    const verdict = await ctx.invoke(refundChecker, input.prompt);
    return { content: `${triage.content} / ${verdict.content}` };
  },
});

function rows(cachePath: string): Array<{ bot_id: string; bot_version: string }> {
  const db = new Database(cachePath, { readonly: true });
  try {
    return db.prepare('SELECT bot_id, bot_version FROM entries ORDER BY bot_id').all() as Array<{ bot_id: string; bot_version: string }>;
  } finally {
    db.close();
  }
}

describe('ctx.invoke: sub-agents', () => {
  it('runs the sub-agent in the same mode and cache, keyed with its own bot id, its events and messages nested', async () => {
    const cachePath = tempCachePath();
    const options = { input: 'I was charged twice', mode: 'replay' as const, cachePath, env: { ...suiteState(), OPENAI_BASE_URL: server.url } };
    const recorded = await invoke(supportDesk, options);
    expect(recorded.error).toBeUndefined();
    expect(recorded.result.output).toEqual({ content: 'echo: I was charged twice / echo: Is this refundable? I was charged twice' });
    expect(rows(cachePath)).toEqual([
      { bot_id: 'refund-checker', bot_version: 'rc-1' },
      { bot_id: 'support-desk', bot_version: 'sd-1' },
    ]);

    const replayed = await invoke(supportDesk, { ...options, strict: true, env: suiteState() });
    expect(replayed.cache.hits).toBe(2);
    const completed = replayed.events.filter((event): event is ActionCompletedEvent => event.type === 'action.completed');
    expect(completed.map((event) => [event.bot_path, event.source])).toEqual([
      ['support-desk', 'cache'],
      ['support-desk > refund-checker', 'cache'],
    ]);
    expect(replayed.messages.map((message) => [message.bot_path, message.kind])).toEqual([
      ['support-desk', 'input'],
      ['support-desk', 'step'],
      ['support-desk > refund-checker', 'input'],
      ['support-desk > refund-checker', 'step'],
      ['support-desk > refund-checker', 'output'],
      ['support-desk', 'output'],
    ]);
    // The usage of the run includes the sub-agent's calls.
    expect(replayed.usage.inputTokens).toBe(recorded.usage.inputTokens);
    expect(completed).toHaveLength(2);
  });

  it('finds a sub-agent by key in the configured bot files, with the same mocks', async () => {
    const front = defineBot({ key: 'front-desk', version: 'v1', run: (input, ctx) => ctx.invoke('support-bot', input.prompt) });
    const result = await invoke(front, { input: 'I was charged twice', mode: 'manual', cwd: root, mocks: 'fixtures/mocks/support-bot.json', env: suiteState() });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toMatchObject({ category: 'billing' });
    expect(new Set(result.events.flatMap((event) => ('bot_path' in event ? [event.bot_path] : [])))).toEqual(new Set(['front-desk > support-bot']));
  });

  it('stops bots that call each other in a cycle, naming the path', async () => {
    const ping: Bot = defineBot({ key: 'ping', version: 'v1', run: (_input, ctx) => ctx.invoke(pong, 'again') });
    const pong: Bot = defineBot({ key: 'pong', version: 'v1', run: (_input, ctx) => ctx.invoke(ping, 'again') });
    const result = await invoke(ping, { input: 'go', mode: 'manual', env: suiteState() });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('AGENT_DEPTH_EXCEEDED');
    expect(result.error?.message).toContain('ping > pong > ping > pong');
    expect(result.error?.hint).toMatch(/cycle/);
  });

  it('fails clearly when a sub-agent key is unknown', async () => {
    const caller = defineBot({ key: 'caller', version: 'v1', run: (_input, ctx) => ctx.invoke('no-such-bot') });
    const result = await invoke(caller, { input: 'go', mode: 'manual', cwd: root, env: suiteState() });
    expect(result.error?.code).toBe('BOT_NOT_FOUND');
  });
});
