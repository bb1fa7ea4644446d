/**
 * Per-invocation LLM overrides (provider, model, reasoning effort): what the provider receives, what the
 * events show, what is keyed and recorded, what `result.llm` reports.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, type ActionStartedEvent, type InvokeResult, type JsonSummary } from '../../src/index.js';
import { toMessagesRequest } from '../../src/providers/anthropic-messages/request.js';
import { useFakeProviders } from '../support/providers.js';
import { tempCachePath, tempDir } from '../support/temp.js';

const providers = useFakeProviders();
const env = providers.env;

function startedParams(result: InvokeResult): unknown[] {
  return result.events.filter((event): event is ActionStartedEvent => event.type === 'action.started').map((event) => event.params);
}

/** Answers once, with its own model and temperature: the overrides must replace what the bot asks for. */
const askBot = defineBot({
  key: 'ask-bot',
  version: 'v1',
  async run(input, ctx) {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', temperature: 0.3, max_tokens: 300, messages: [{ role: 'user', content: input.prompt }] });
    return answer.content;
  },
});

const checker = defineBot({
  key: 'checker',
  version: 'c1',
  async run(input, ctx) {
    const answer = await ctx.llm.message({ model: 'gpt-4o-mini', system: 'Check it.', messages: [{ role: 'user', content: input.prompt }] });
    return answer.content;
  },
});

const desk = defineBot({
  key: 'desk',
  version: 'd1',
  async run(input, ctx) {
    const first = await ctx.llm.message({ model: 'gpt-4o-mini', system: 'Triage.', messages: [{ role: 'user', content: input.prompt }] });
    const checked = await ctx.invoke(checker, 'is it refundable?');
    return `${first.content} / ${checked}`;
  },
});

describe('llm overrides, live', () => {
  it('OpenAI: the model and reasoning_effort reach the provider, the events and result.llm', async () => {
    const result = await invoke(askBot, { input: 'Hi', env: env(), cwd: tempDir(), llm: { model: 'gpt-5-mini', reasoningEffort: 'high' } });
    expect(result.error).toBeUndefined();
    expect(providers.openai.requests).toHaveLength(1);
    expect(providers.openai.requests[0]!.body).toMatchObject({ model: 'gpt-5-mini', reasoning_effort: 'high', temperature: 0.3 });
    expect(startedParams(result)[0]).toMatchObject({ model: 'gpt-5-mini', reasoning_effort: 'high' });
    expect(result.llm).toEqual([{ provider: 'openai', model: 'gpt-5-mini', reasoningEffort: 'high', calls: 1 }]);
  });

  it('Anthropic: provider and model overridden, the effort sent as extended thinking with max_tokens raised and temperature left out', async () => {
    const result = await invoke(askBot, {
      input: 'Hi',
      env: env(),
      cwd: tempDir(),
      llm: { provider: 'anthropic', model: 'claude-sonnet-4-5', reasoningEffort: 'medium' },
    });
    expect(result.error).toBeUndefined();
    expect(providers.openai.requests).toHaveLength(0);
    const body = providers.anthropic.requests[0]!.body;
    expect(body.model).toBe('claude-sonnet-4-5');
    expect(body.thinking).toEqual({ type: 'enabled', budget_tokens: 12_288 });
    expect(body.max_tokens).toBe(12_288 + 300);
    expect(body.temperature).toBeUndefined();
    expect(result.result.output).toBe('echo: Hi');
    expect(result.llm).toEqual([{ provider: 'anthropic', model: 'claude-sonnet-4-5', reasoningEffort: 'medium', calls: 1 }]);
  });

  it('reports the provider chooseProvider picks from the model name when only the model is overridden', async () => {
    const result = await invoke(askBot, { input: 'Hi', env: env(), cwd: tempDir(), llm: { model: 'claude-haiku-4-5' } });
    expect(providers.anthropic.requests[0]!.body.thinking).toBeUndefined();
    expect(result.llm).toEqual([{ provider: 'anthropic', model: 'claude-haiku-4-5', reasoningEffort: null, calls: 1 }]);
  });

  it('without overrides the params are the bot’s own, and result.llm still reports them', async () => {
    const result = await invoke(desk, { input: 'Hi', env: env(), cwd: tempDir() });
    expect(providers.openai.requests.map((request) => request.body.model)).toEqual(['gpt-4o-mini', 'gpt-4o-mini']);
    expect(providers.openai.requests[0]!.body.reasoning_effort).toBeUndefined();
    expect(result.llm).toEqual([{ provider: 'openai', model: 'gpt-4o-mini', reasoningEffort: null, calls: 2 }]);
  });

  it('sub-agents get the model overrides too, counted in one entry with the parent’s calls', async () => {
    const result = await invoke(desk, { input: 'Hi', env: env(), cwd: tempDir(), llm: { model: 'gpt-4.1', reasoningEffort: 'low' } });
    expect(providers.openai.requests.map((request) => [request.body.model, request.body.reasoning_effort])).toEqual([
      ['gpt-4.1', 'low'],
      ['gpt-4.1', 'low'],
    ]);
    expect(result.llm).toEqual([{ provider: 'openai', model: 'gpt-4.1', reasoningEffort: 'low', calls: 2 }]);
  });

  it('the JSON format shows what was used as llm', async () => {
    const result = await invoke(askBot, { input: 'Hi', env: env(), cwd: tempDir(), format: 'json', llm: { reasoningEffort: 'minimal' } });
    expect((result.formatted as JsonSummary).llm).toEqual([{ provider: 'openai', model: 'gpt-4o-mini', reasoning_effort: 'minimal', calls: 1 }]);
  });

  it('mocks report the overridden model too', async () => {
    const result = await invoke(askBot, { input: 'Hi', mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'ok' } }, env: {}, cwd: tempDir(), llm: { model: 'gpt-4.1' } });
    expect(result.llm).toEqual([{ provider: 'openai', model: 'gpt-4.1', reasoningEffort: null, calls: 1 }]);
    expect(startedParams(result)[0]).toMatchObject({ model: 'gpt-4.1' });
  });
});

describe('llm overrides, replay', () => {
  function recorded(cachePath: string): Array<{ key: string; params: string }> {
    const db = new Database(cachePath, { readonly: true });
    try {
      return db.prepare('SELECT key, params FROM entries ORDER BY created_at, key').all() as Array<{ key: string; params: string }>;
    } finally {
      db.close();
    }
  }

  it('another model is another key: recorded apart, replayed apart, and a strict miss says how to record it', async () => {
    const cachePath = tempCachePath();
    const cwd = tempDir();
    const base = { input: 'Hi', mode: 'replay' as const, cachePath, cwd };

    const plain = await invoke(askBot, { ...base, env: env() });
    const other = await invoke(askBot, { ...base, env: env(), llm: { model: 'gpt-4.1', reasoningEffort: 'low' } });
    expect(plain.cache.recorded).toBe(1);
    expect(other.cache.recorded).toBe(1);
    const rows = recorded(cachePath);
    expect(rows).toHaveLength(2);
    expect(rows.map((row) => JSON.parse(row.params).model).sort()).toEqual(['gpt-4.1', 'gpt-4o-mini']);
    expect(JSON.parse(rows.find((row) => row.params.includes('gpt-4.1'))!.params).reasoning_effort).toBe('low');

    const replayed = await invoke(askBot, { ...base, strict: true, env: {}, llm: { model: 'gpt-4.1', reasoningEffort: 'low' } });
    expect(replayed.cache.hits).toBe(1);
    expect(replayed.llm).toEqual([{ provider: 'openai', model: 'gpt-4.1', reasoningEffort: 'low', calls: 1 }]);

    const missed = await invoke(askBot, { ...base, strict: true, env: {}, llm: { model: 'gpt-5' } });
    expect(missed.error?.code).toBe('CACHE_STRICT_MISS');
    expect(missed.error?.hint).toContain('--model gpt-5');
    expect(missed.llm).toEqual([{ provider: 'openai', model: 'gpt-5', reasoningEffort: null, calls: 1 }]);
  });
});

describe('llm overrides, checked before the run', () => {
  it.each([
    [{ provider: 'google' }, /llm.provider is "google"/],
    [{ model: '' }, /llm.model must be a non-empty string/],
    [{ reasoningEffort: 'max' }, /llm.reasoningEffort is "max"; use one of minimal, low, medium, high/],
    [{ temperature: 1 }, /unknown field\(s\) temperature/],
  ])('%j is a usage error', async (llm, message) => {
    await expect(invoke(askBot, { input: 'Hi', env: {}, cwd: tempDir(), llm: llm as never })).rejects.toThrow(message);
    expect(providers.openai.requests).toHaveLength(0);
  });
});

describe('toMessagesRequest with reasoning_effort', () => {
  it('maps each level to its thinking budget on top of the answer’s max_tokens (4096 when not given)', () => {
    const base = { model: 'claude-sonnet-4-5', messages: [{ role: 'user' as const, content: 'Hi' }], temperature: 0.5, top_p: 0.5 };
    expect(toMessagesRequest({ ...base, reasoning_effort: 'minimal' })).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 1024 }, max_tokens: 1024 + 4096 });
    expect(toMessagesRequest({ ...base, reasoning_effort: 'low', max_tokens: 100 })).toMatchObject({ thinking: { budget_tokens: 4096 }, max_tokens: 4196 });
    const high = toMessagesRequest({ ...base, reasoning_effort: 'high' });
    expect(high).toMatchObject({ thinking: { budget_tokens: 24_576 } });
    expect(high).not.toHaveProperty('temperature');
    expect(high).not.toHaveProperty('top_p');
    expect(toMessagesRequest(base)).toMatchObject({ temperature: 0.5, max_tokens: 4096 });
    expect(toMessagesRequest(base)).not.toHaveProperty('thinking');
  });
});
