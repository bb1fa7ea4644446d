/**
 * Per-invocation overrides on SDK calls made through ctx.fetch: their llm.message params are the
 * provider's own request body (with `api`), and the overrides land where that API takes them.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { defineBot, invoke, type ActionStartedEvent, type InvokeResult } from '../../src/index.js';
import { startOpenAIServer } from '../support/openai-server.js';
import { tempCachePath, tempDir } from '../support/temp.js';

function llmParams(result: InvokeResult): Array<Record<string, unknown>> {
  return result.events
    .filter((event): event is ActionStartedEvent => event.type === 'action.started' && event.action_type === 'llm.message')
    .map((event) => event.params as Record<string, unknown>);
}

const openAiBot = defineBot({
  key: 'sdk-openai',
  version: 'v1',
  async run(input, ctx) {
    const client = new OpenAI({ apiKey: 'not-used', fetch: ctx.fetch, maxRetries: 0 });
    const answer = await client.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Sys.' },
        { role: 'user', content: input.prompt },
      ],
    });
    return answer.choices[0]?.message.content;
  },
});

const anthropicBot = defineBot({
  key: 'sdk-anthropic',
  version: 'v1',
  async run(input, ctx) {
    const client = new Anthropic({ apiKey: 'not-used', fetch: ctx.fetch, maxRetries: 0 });
    const answer = await client.messages.create({ model: 'claude-haiku-4-5', max_tokens: 200, system: 'Sys.', messages: [{ role: 'user', content: input.prompt }] });
    return answer.content.map((block) => (block.type === 'text' ? block.text : '')).join('');
  },
});

const options = {
  input: 'Hi',
  mode: 'manual' as const,
  mocks: { 'llm.message': { status: 'success' as const, output: 'Bonjour' } },
  env: {},
  instructions: 'Answer in French.',
  files: [{ name: 'order.txt', content: 'A-1187' }],
};
const system = '\n\n# Instructions for this run\nAnswer in French.';
const attached = '\n\n<attachment name="order.txt" media_type="text/plain">\nA-1187\n</attachment>';

describe('overrides on SDK calls (params with api)', () => {
  it('openai.chat: model and reasoning_effort in the body, instructions in the system message, files in the user message', async () => {
    const result = await invoke(openAiBot, { ...options, cwd: tempDir(), llm: { model: 'gpt-4.1', reasoningEffort: 'low' } });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toBe('Bonjour');
    expect(llmParams(result)[0]).toMatchObject({
      api: 'openai.chat',
      model: 'gpt-4.1',
      reasoning_effort: 'low',
      messages: [
        { role: 'system', content: `Sys.${system}` },
        { role: 'user', content: `Hi${attached}` },
      ],
    });
    expect(result.llm).toEqual([{ provider: 'openai', model: 'gpt-4.1', reasoningEffort: 'low', calls: 1 }]);
  });

  it('anthropic.messages: thinking with max_tokens raised, instructions in system, files in the user message', async () => {
    const result = await invoke(anthropicBot, { ...options, cwd: tempDir(), llm: { reasoningEffort: 'medium' } });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toBe('Bonjour');
    expect(llmParams(result)[0]).toMatchObject({
      api: 'anthropic.messages',
      model: 'claude-haiku-4-5',
      max_tokens: 12_288 + 200,
      thinking: { type: 'enabled', budget_tokens: 12_288 },
      system: `Sys.${system}`,
      messages: [{ role: 'user', content: `Hi${attached}` }],
    });
    expect(result.llm).toEqual([{ provider: 'anthropic', model: 'claude-haiku-4-5', reasoningEffort: 'medium', calls: 1 }]);
  });

  it('live: the provider receives the overridden body of an SDK call, and a replay of it is keyed by what was sent', async () => {
    const server = await startOpenAIServer();
    try {
      const bot = defineBot({
        key: 'sdk-openai-live',
        version: 'v1',
        async run(input, ctx) {
          const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.url, fetch: ctx.fetch, maxRetries: 0 });
          const answer = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: input.prompt }] });
          return answer.choices[0]?.message.content;
        },
      });
      const cachePath = tempCachePath();
      const live = { input: 'Hi', cwd: tempDir(), env: {}, cachePath, instructions: 'Answer in French.', llm: { model: 'gpt-4.1' } };
      const recorded = await invoke(bot, { ...live, mode: 'replay' });
      expect(recorded.error).toBeUndefined();
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]?.body).toMatchObject({
        model: 'gpt-4.1',
        messages: [{ role: 'system', content: expect.stringContaining('Answer in French.') }, { role: 'user', content: 'Hi' }],
      });
      const replayed = await invoke(bot, { ...live, mode: 'replay', strict: true });
      expect(replayed.error).toBeUndefined();
      expect(replayed.cache.hits).toBe(1);
      expect(server.requests).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});
