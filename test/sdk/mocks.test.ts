/**
 * Manual mode through each SDK: a mock written as plain content, as the provider's whole answer, as a
 * tool call, as an HTTP error, or missing. Nothing is listening at the base URL: a mock never needs the
 * provider.
 */
import Anthropic from '@anthropic-ai/sdk';
import { APICallError } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { MockRule } from '../../src/index.js';
import { anthropicModel, completedActions, openAiModel, sdkBot, sdkPaths, sources, startedActions, workspace, type SdkPath, type Seen, type Style } from './support.js';

/** A port nothing listens on: a mock must answer without it. */
const nowhere = { openai: 'http://127.0.0.1:9/v1', anthropic: 'http://127.0.0.1:9' };

/** Runs one SDK call per style in one invocation, collecting what the SDK saw or raised for each. */
function stylesBot(path: SdkPath, styles: Style[], options: { tools?: boolean; maxRetries?: number } = {}) {
  const outcomes: Array<{ style: Style; seen?: Seen; error?: unknown }> = [];
  const bot = sdkBot(`mock-${path.name.replace(/[ .]/g, '-')}`, async (ctx, prompt) => {
    for (const style of styles) {
      try {
        outcomes.push({ style, seen: await path.call(ctx.fetch, nowhere[path.provider], { style, prompt, ...options }) });
      } catch (error) {
        outcomes.push({ style, error });
      }
    }
    const failure = outcomes.find((outcome) => outcome.error !== undefined);
    if (failure) throw failure.error;
    return outcomes.map((outcome) => outcome.seen);
  });
  return { bot, outcomes };
}

/** The provider's whole answer, as each API sends it, for a mock to give as it is. */
function providerAnswer(path: SdkPath): unknown {
  if (path.api === 'openai.chat') {
    return {
      id: 'chatcmpl-mock42',
      object: 'chat.completion',
      created: 1710000000,
      model: 'gpt-4o-mini-2024-07-18',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Oslo is cold today.', refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: 13, completion_tokens: 6, total_tokens: 19 },
    };
  }
  if (path.api === 'openai.responses') {
    return {
      id: 'resp_mock42',
      object: 'response',
      created_at: 1710000000,
      status: 'completed',
      error: null,
      incomplete_details: null,
      model: 'gpt-4o-mini-2024-07-18',
      output: [
        { type: 'message', id: 'msg_mock42', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'Oslo is cold today.', annotations: [] }] },
      ],
      usage: { input_tokens: 13, input_tokens_details: { cached_tokens: 0 }, output_tokens: 6, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 19 },
    };
  }
  return {
    id: 'msg_01Mock42',
    type: 'message',
    role: 'assistant',
    model: anthropicModel,
    content: [{ type: 'text', text: 'Oslo is cold today.' }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 13, output_tokens: 6 },
  };
}

const mockIds: Record<SdkPath['api'], string> = { 'openai.chat': 'chatcmpl-mock42', 'openai.responses': 'resp_mock42', 'anthropic.messages': 'msg_01Mock42' };

const idPatterns: Record<SdkPath['api'], RegExp> = {
  'openai.chat': /^chatcmpl-[A-Za-z0-9]{29}$/,
  'openai.responses': /^resp_[0-9a-f]{48}$/,
  'anthropic.messages': /^msg_01[A-Za-z0-9]{22}$/,
};

function isAiSdk(path: SdkPath): boolean {
  return path.name.startsWith('ai-sdk');
}

describe.each(sdkPaths)('manual mode through $name', (path) => {
  const styles: Style[] = path.styles;

  it('a plain-content mock (a string) becomes the provider answer the SDK reads, streamed or not', async () => {
    const { bot } = stylesBot(path, styles);
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'Oslo is cold today.' } } });
    expect(result.error).toBeUndefined();
    const seen = result.result.output as Seen[];
    expect(seen).toHaveLength(styles.length);
    for (const one of seen) {
      // A string says nothing about tokens: the answer counts none.
      expect(one).toEqual({ id: expect.stringMatching(idPatterns[path.api]), text: 'Oslo is cold today.', toolCalls: [], usage: path.usage(0, 0) });
    }
    // The same request gets the same id, streamed or not.
    expect(new Set(seen.map((one) => one.id)).size).toBe(1);
    expect(sources(result)).toEqual(styles.map(() => 'mock'));
  });

  it('a plain-content mock { content, usage } gives the SDK that usage, streamed or not', async () => {
    const { bot } = stylesBot(path, styles);
    const output = { content: 'Bergen is wet.', usage: { input_tokens: 8, output_tokens: 4 } };
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'success', output } } });
    expect(result.error).toBeUndefined();
    for (const one of result.result.output as Seen[]) {
      expect(one).toEqual({ id: expect.stringMatching(idPatterns[path.api]), text: 'Bergen is wet.', toolCalls: [], usage: path.usage(8, 4) });
    }
    expect(result.usage).toEqual({ inputTokens: 8 * styles.length, outputTokens: 4 * styles.length });
  });

  it("a mock rule's own usage (beside output) gives the SDK that usage", async () => {
    const { bot } = stylesBot(path, styles);
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'Bergen is wet.', usage: { input_tokens: 8, output_tokens: 4 } } } });
    expect(result.error).toBeUndefined();
    for (const one of result.result.output as Seen[]) expect(one).toMatchObject({ text: 'Bergen is wet.', usage: path.usage(8, 4) });
  });

  it("the provider's whole answer as the mock reaches the SDK as it is", async () => {
    const { bot } = stylesBot(path, styles);
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'success', output: providerAnswer(path) } } });
    expect(result.error).toBeUndefined();
    for (const one of result.result.output as Seen[]) {
      expect(one).toEqual({ id: mockIds[path.api], text: 'Oslo is cold today.', toolCalls: [], usage: path.usage(13, 6) });
    }
    expect(completedActions(result).map((event) => event.usage)).toEqual(styles.map(() => ({ input_tokens: 13, output_tokens: 6 })));
  });

  it('a tool-call mock gives the SDK the call (name and arguments), streamed or not', async () => {
    const { bot } = stylesBot(path, styles, { tools: true });
    const output = { content: null, tool_calls: [{ id: 'call_mock1', name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' }], usage: { input_tokens: 30, output_tokens: 7 } };
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'success', output } } });
    expect(result.error).toBeUndefined();
    for (const one of result.result.output as Seen[]) {
      expect(one).toMatchObject({ text: '', toolCalls: [{ name: 'get_weather', arguments: '{"city":"Oslo","unit":"celsius"}' }], usage: path.usage(30, 7) });
    }
    const params = startedActions(result)[0]?.params as { tools?: unknown[]; model?: string };
    expect(params.tools).toHaveLength(1);
    expect(params.model).toBe(path.provider === 'anthropic' ? anthropicModel : openAiModel);
  });

  it('an error mock with status 429 is the SDK’s rate-limit error, not retried', async () => {
    // The AI SDK decides retries by status alone (it ignores x-should-retry), so its retries are turned off here.
    const { bot, outcomes } = stylesBot(path, ['plain'], isAiSdk(path) ? { maxRetries: 0 } : {});
    const mock: MockRule = { status: 'error', error: { message: 'Rate limit reached for requests', code: 'rate_limit_exceeded', status: 429 } };
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': mock } });
    expect(result.status).toBe('failed');
    expect(startedActions(result)).toHaveLength(1);
    const error = outcomes[0]?.error;
    if (isAiSdk(path)) {
      expect(APICallError.isInstance(error)).toBe(true);
      expect((error as APICallError).statusCode).toBe(429);
      expect((error as APICallError).message).toContain('Rate limit reached for requests');
      expect((error as APICallError).responseHeaders?.['x-should-retry']).toBe('false');
    } else if (path.provider === 'anthropic') {
      expect(error).toBeInstanceOf(Anthropic.RateLimitError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'rate_limit_error', message: expect.stringContaining('Rate limit reached for requests') } });
    } else {
      expect(error).toBeInstanceOf(OpenAI.RateLimitError);
      expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
      // The mock's own code and words, as the provider would send them: no rehearse preamble.
      expect((error as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
      expect((error as Error).message).toBe('429 Rate limit reached for requests');
    }
    expect(result.error).toMatchObject({ code: 'ACTION_FAILED', message: 'llm.message failed (mock): Rate limit reached for requests' });
    expect(completedActions(result)[0]).toMatchObject({ status: 'error', source: 'mock' });
  });

  it('a missing mock fails the invocation with MOCK_MISSING; the SDK raised a 400 and did not retry', async () => {
    const { bot, outcomes } = stylesBot(path, ['plain']);
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'codeexec.run': { status: 'success', output: { stdout: '' } } } });
    expect(result.status).toBe('failed');
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('call 1 of llm.message has no mock');
    expect(result.error?.message).toContain(`"api":"${path.api}"`);
    expect(startedActions(result)).toHaveLength(1);
    const error = outcomes[0]?.error;
    const status = isAiSdk(path) ? (error as APICallError).statusCode : (error as InstanceType<typeof OpenAI.APIError>).status;
    expect(status).toBe(400);
  });
});
