/**
 * Live calls through ctx.fetch when the provider misbehaves: rehearse retries what it may (before a
 * byte reached the SDK), the SDK never adds retries of its own on top, and a stream that breaks after
 * it began reaches the SDK broken, once, and is not recorded.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { FakeAnthropicServer } from '../support/anthropic-server.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import {
  anthropicMessages,
  cacheBytes,
  completedActions,
  expectedSeen,
  openAiChat,
  openAiResponses,
  pathBot,
  sdkBot,
  sources,
  startServer,
  startedActions,
  textAnswer,
  workspace,
  type SdkPath,
  type Style,
} from './support.js';

const content = 'The capital of France is Paris, on the Seine.';

describe('a live stream that breaks after it began', () => {
  const cases: Array<{ path: SdkPath; events: number }> = [
    // Chat: the role chunk, then two words.
    { path: openAiChat, events: 3 },
    // Responses: created, in_progress, item added, part added, then two words.
    { path: openAiResponses, events: 6 },
    // Messages: message_start, block start, ping, then two words.
    { path: anthropicMessages, events: 5 },
  ];

  it.each(cases)('reaches $path.name as a broken stream after the text that came; nothing recorded, nothing retried', async ({ path, events }) => {
    const server = await startServer(path.provider);
    if (path.provider === 'openai') (server.raw as FakeOpenAIServer).enqueue({ kind: 'cut', content, afterChunks: events });
    else (server.raw as FakeAnthropicServer).enqueue({ kind: 'cut', content, afterEvents: events });
    let text = '';
    let failure: unknown;
    const bot = sdkBot('broken-stream', async (ctx) => {
      // The raw events, as far as they go.
      try {
        if (path.api === 'openai.chat') {
          const stream = await new OpenAI({ apiKey: 'k', baseURL: server.url, fetch: ctx.fetch }).chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Capital?' }],
            stream: true,
          });
          for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
        } else if (path.api === 'openai.responses') {
          const stream = await new OpenAI({ apiKey: 'k', baseURL: server.url, fetch: ctx.fetch }).responses.create({ model: 'gpt-4o-mini', input: 'Capital?', stream: true });
          for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
        } else {
          const stream = await new Anthropic({ apiKey: 'k', baseURL: server.url, fetch: ctx.fetch }).messages.create({
            model: 'claude-sonnet-4-6',
            max_tokens: 64,
            messages: [{ role: 'user', content: 'Capital?' }],
            stream: true,
          });
          for await (const event of stream) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
        }
      } catch (error) {
        failure = error;
        throw error;
      }
      return text;
    });
    const space = workspace();
    const result = await space.run(bot, { mode: 'replay' });

    expect(text).toBe('The capital ');
    expect(failure).toBeInstanceOf(Error);
    expect(result.status).toBe('failed');
    expect(server.hits).toBe(1);
    expect(startedActions(result)).toHaveLength(1);
    expect(completedActions(result)[0]).toMatchObject({ status: 'error', source: 'live', error: { code: 'PROVIDER_STREAM_BROKEN' } });
    expect(result.cache.recorded).toBe(0);

    await server.close();
    const strict = await space.run(bot, { mode: 'replay', strict: true });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
  });
});

describe('provider failures before the answer began', () => {
  const cases: Array<{ path: SdkPath; style: Style }> = [
    { path: openAiChat, style: 'plain' },
    { path: openAiChat, style: 'stream' },
    { path: openAiResponses, style: 'helper' },
    { path: anthropicMessages, style: 'plain' },
    { path: anthropicMessages, style: 'stream' },
  ];

  it.each(cases)('$path.name ($style): a 503 is retried by rehearse, and the SDK only sees the answer', async ({ path, style }) => {
    const server = await startServer(path.provider);
    if (path.provider === 'openai') (server.raw as FakeOpenAIServer).enqueue({ kind: 'error', status: 503, message: 'The server is overloaded.', headers: { 'retry-after': '0' } });
    else (server.raw as FakeAnthropicServer).enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded', headers: { 'retry-after': '0' } });
    server.enqueue(textAnswer);
    const result = await workspace().run(pathBot('retried', path, server.url, { style }), { mode: 'replay' });
    expect(result.error).toBeUndefined();
    // The error answer took no id: the answer is the server's first message.
    expect(result.result.output).toEqual(expectedSeen(path, textAnswer));
    expect(server.hits).toBe(2);
    expect(startedActions(result)).toHaveLength(1);
    expect(sources(result)).toEqual(['live']);
    expect(result.cache.recorded).toBe(1);
  });

  it.each(cases)("$path.name ($style): a 429 that outlasts rehearse's retries is the SDK's rate-limit error, which the SDK does not retry", async ({ path, style }) => {
    const server = await startServer(path.provider);
    for (let attempt = 0; attempt < 3; attempt++) {
      if (path.provider === 'openai') {
        (server.raw as FakeOpenAIServer).enqueue({ kind: 'error', status: 429, message: 'Rate limit reached for gpt-4o-mini.', code: 'rate_limit_exceeded', type: 'requests', headers: { 'retry-after': '0' } });
      } else {
        (server.raw as FakeAnthropicServer).enqueue({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit.', headers: { 'retry-after': '0' } });
      }
    }
    const thrown: unknown[] = [];
    const bot = sdkBot('limited', async (ctx, prompt) => {
      try {
        // The SDK keeps its default of 2 retries.
        return await path.call(ctx.fetch, server.url, { style, prompt });
      } catch (error) {
        thrown.push(error);
        throw error;
      }
    });
    const result = await workspace().run(bot, { mode: 'replay' });
    expect(result.status).toBe('failed');
    expect(thrown).toHaveLength(1);
    if (path.provider === 'anthropic') {
      expect(thrown[0]).toBeInstanceOf(Anthropic.RateLimitError);
      expect((thrown[0] as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({
        type: 'error',
        error: { type: 'rate_limit_error', message: 'Number of request tokens has exceeded your rate limit.' },
      });
    } else {
      expect(thrown[0]).toBeInstanceOf(OpenAI.RateLimitError);
      expect((thrown[0] as InstanceType<typeof OpenAI.APIError>).code).toBe('rate_limit_exceeded');
      expect((thrown[0] as Error).message).toContain('Rate limit reached for gpt-4o-mini.');
    }
    // The first try and rehearse's two retries (llm.retries); none from the SDK.
    expect(server.hits).toBe(3);
    expect(startedActions(result)).toHaveLength(1);
    expect(completedActions(result)[0]).toMatchObject({ status: 'error', error: { code: 'PROVIDER_ERROR' } });
    expect(result.cache.recorded).toBe(0);
  });
});

describe('an SDK that gives up on a live call', () => {
  it.each([false, true])('after its timeout (stream: %s): the abandoned call is cancelled and never recorded; its retry is', async (stream) => {
    const server = await startServer('openai');
    (server.raw as FakeOpenAIServer).enqueue({ kind: 'message', content: 'The late answer nobody read.', delayMs: 1_000 }, { kind: 'message', content: 'The answer of the retry.' });
    const bot = sdkBot('impatient', async (ctx, prompt) => {
      // 150 ms to answer, one retry.
      const client = new OpenAI({ apiKey: 'k', baseURL: server.url, fetch: ctx.fetch, timeout: 150, maxRetries: 1 });
      const body = { model: 'gpt-4o-mini', messages: [{ role: 'user' as const, content: prompt }] };
      const completion = stream ? await client.chat.completions.stream(body).finalChatCompletion() : await client.chat.completions.create(body);
      return completion.choices[0]?.message.content;
    });
    const space = workspace();
    const result = await space.run(bot, { mode: 'replay' });

    expect(result.error).toBeUndefined();
    expect(result.result.output).toBe('The answer of the retry.');
    expect(server.hits).toBe(2);
    const [abandoned, retried] = completedActions(result);
    expect(abandoned).toMatchObject({ status: 'error', source: 'live' });
    expect(abandoned?.recorded).toBeUndefined();
    expect(retried).toMatchObject({ status: 'success', source: 'live', recorded: true });
    expect(result.cache.recorded).toBe(1);
    // What was recorded is what the bot got.
    const bytes = cacheBytes(space.cachePath);
    expect(bytes).toContain('The answer of the retry.');
    expect(bytes).not.toContain('The late answer nobody read.');

    // The abandoned attempt took no place in the order: the retry replays as the first answer.
    await server.close();
    const replayed = await space.run(bot, { mode: 'replay', strict: true });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toBe('The answer of the retry.');
  });

  it('a bot that stops reading a live stream early still has the whole answer recorded, and replays the same', async () => {
    const server = await startServer('openai');
    server.enqueue(textAnswer);
    const bot = sdkBot('skimmer', async (ctx, prompt) => {
      const client = new OpenAI({ apiKey: 'k', baseURL: server.url, fetch: ctx.fetch });
      const stream = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }], stream: true });
      let text = '';
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? '';
        if (text.includes('France')) break;
      }
      // Returns at once: the invocation waits for the rest of the stream before it closes the cache.
      return text;
    });
    const space = workspace();
    const recorded = await space.run(bot, { mode: 'replay' });
    expect(recorded.result.output).toBe('The capital of France ');
    expect(completedActions(recorded)[0]).toMatchObject({ status: 'success', recorded: true });
    expect(cacheBytes(space.cachePath)).toContain(textAnswer.text);

    await server.close();
    const replayed = await space.run(bot, { mode: 'replay', strict: true });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toBe('The capital of France ');
  });
});
