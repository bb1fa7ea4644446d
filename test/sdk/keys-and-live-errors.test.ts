/**
 * Keys and live failures through ctx.fetch: the key an SDK sends reaches the provider and nowhere else
 * (not the cache file, not the events, not the params); a provider's 401 reaches the SDK as its own
 * authentication error with the provider's words, and nothing is recorded.
 */
import Anthropic from '@anthropic-ai/sdk';
import { APICallError } from 'ai';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { FakeAnthropicServer } from '../support/anthropic-server.js';
import type { FakeOpenAIServer } from '../support/openai-server.js';
import {
  aiSdkChat,
  aiSdkResponses,
  anthropicKey,
  anthropicMessages,
  cacheBytes,
  completedActions,
  openAiChat,
  openAiKey,
  openAiResponses,
  sdkBot,
  sources,
  startServer,
  startedActions,
  textAnswer,
  toolAnswer,
  workspace,
  type SdkPath,
  type Seen,
  type Style,
} from './support.js';

describe('the API key an SDK sends through ctx.fetch', () => {
  it('reaches the provider, and never the cache file, the events or the params', async () => {
    const openai = await startServer('openai');
    const anthropic = await startServer('anthropic');
    const calls: Array<[SdkPath, Style, boolean]> = [
      [openAiChat, 'plain', false],
      [openAiChat, 'stream', true],
      [openAiResponses, 'plain', true],
      [openAiResponses, 'stream', false],
      [anthropicMessages, 'plain', true],
      [anthropicMessages, 'helper', false],
      [aiSdkChat, 'stream', false],
      [aiSdkResponses, 'plain', true],
    ];
    for (const [path, , tools] of calls) (path.provider === 'openai' ? openai : anthropic).enqueue(tools ? toolAnswer : textAnswer);
    const bot = sdkBot('key-keeper', async (ctx, prompt) => {
      const seen: Seen[] = [];
      for (const [path, style, tools] of calls) {
        seen.push(await path.call(ctx.fetch, path.provider === 'openai' ? openai.url : anthropic.url, { style, tools, prompt: `${prompt} (${path.name} ${style})` }));
      }
      return seen;
    });
    const space = workspace();
    const result = await space.run(bot, { mode: 'replay' });
    expect(result.error).toBeUndefined();
    expect(result.cache.recorded).toBe(calls.length);

    // The keys were really sent: by each SDK in its own header.
    const openAiRequests = (openai.raw as FakeOpenAIServer).requests;
    const anthropicRequests = (anthropic.raw as FakeAnthropicServer).requests;
    expect(openAiRequests).toHaveLength(6);
    for (const request of openAiRequests) expect(request.headers.authorization).toBe(`Bearer ${openAiKey}`);
    expect(anthropicRequests).toHaveLength(2);
    for (const request of anthropicRequests) expect(request.headers['x-api-key'] ?? request.headers.authorization).toMatch(new RegExp(`^(Bearer )?${anthropicKey}$`));

    // ...and kept nowhere. The file does hold the recordings (the answers' text is in it).
    const bytes = cacheBytes(space.cachePath);
    expect(bytes).toContain('The capital of France is Paris, on the Seine.');
    expect(bytes).toContain('get_weather');
    const events = JSON.stringify(result.events);
    expect(events).toContain('The capital of France is Paris, on the Seine.');
    for (const key of [openAiKey, anthropicKey]) {
      expect(bytes).not.toContain(key);
      expect(events).not.toContain(key);
      // Nor any recognisable part of it.
      expect(bytes).not.toContain(key.slice(-9));
      expect(events).not.toContain(key.slice(-9));
    }
    for (const event of startedActions(result)) {
      const params = JSON.stringify(event.params);
      expect(params).not.toMatch(/authorization|x-api-key|Bearer/i);
    }
    expect(startedActions(result).map((event) => (event.params as { api: string }).api)).toEqual([
      'openai.chat',
      'openai.chat',
      'openai.responses',
      'openai.responses',
      'anthropic.messages',
      'anthropic.messages',
      'openai.chat',
      'openai.responses',
    ]);
  });
});

describe('a provider 401 in a live call', () => {
  const cases: Array<{ path: SdkPath; style: Style }> = [
    { path: openAiChat, style: 'plain' },
    { path: openAiChat, style: 'stream' },
    { path: openAiResponses, style: 'stream' },
    { path: anthropicMessages, style: 'plain' },
    { path: anthropicMessages, style: 'helper' },
    { path: aiSdkChat, style: 'plain' },
    { path: aiSdkResponses, style: 'stream' },
  ];

  it.each(cases)("reaches $path.name ($style) as the SDK's authentication error with the provider's message; nothing is recorded", async ({ path, style }) => {
    // The server wants another key than the one the SDK sends.
    const server = await startServer(path.provider, { apiKey: 'the-right-key-0000' });
    const thrown: unknown[] = [];
    const bot = sdkBot('unauthorised', async (ctx, prompt) => {
      try {
        return await path.call(ctx.fetch, server.url, { style, prompt });
      } catch (error) {
        thrown.push(error);
        throw error;
      }
    });
    const space = workspace();
    const result = await space.run(bot, { mode: 'replay' });

    expect(result.status).toBe('failed');
    expect(thrown).toHaveLength(1);
    const error = thrown[0];
    // OpenAI masks the key it was given, keeping three characters in front and four behind.
    const masked = `Incorrect API key provided: ${openAiKey.slice(0, 3)}${'*'.repeat(openAiKey.length - 7)}${openAiKey.slice(-4)}.`;
    let providerWords: string;
    if (path.name.startsWith('ai-sdk')) {
      expect(APICallError.isInstance(error)).toBe(true);
      expect((error as APICallError).statusCode).toBe(401);
      providerWords = masked;
      expect((error as APICallError).message).toContain(providerWords);
    } else if (path.provider === 'anthropic') {
      expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
      // The provider's own body, request id included, handed on unchanged.
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toEqual({
        type: 'error',
        error: { type: 'authentication_error', message: 'invalid x-api-key' },
        request_id: 'req_fake000001',
      });
      providerWords = 'invalid x-api-key';
    } else {
      expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
      const apiError = error as InstanceType<typeof OpenAI.APIError>;
      expect(apiError.status).toBe(401);
      expect(apiError.code).toBe('invalid_api_key');
      providerWords = masked;
      expect(apiError.message).toContain(providerWords);
    }

    // One attempt (neither rehearse nor the SDK retries a 401). The action failed with rehearse's
    // PROVIDER_ERROR and its hint; the bot failed with the SDK's error carrying the provider's words,
    // and the run reports rehearse's error (with its hint) in its place.
    expect(server.hits).toBe(1);
    expect(startedActions(result)).toHaveLength(1);
    const failed = completedActions(result)[0];
    expect(failed).toMatchObject({ status: 'error', source: 'live', error: { code: 'PROVIDER_ERROR' } });
    expect(failed?.error?.message).toContain('answered HTTP 401');
    expect(failed?.error?.message).toContain(providerWords);
    expect(failed?.error?.hint).toContain(`Check the API key your SDK (or rehearse's environment, for an agent run as a command) sends to ${new URL(server.url).origin}.`);
    expect(result.error).toEqual(failed?.error);
    expect(result.error?.message).toContain(providerWords);
    expect(result.cache.recorded).toBe(0);
    expect(JSON.stringify(result.events)).not.toContain(path.provider === 'openai' ? openAiKey : anthropicKey);

    // Nothing was recorded: a strict replay has nothing to compare with.
    await server.close();
    const strict = await space.run(bot, { mode: 'replay', strict: true });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
    expect(strict.error?.message).toContain('There is no recording of llm.message for bot "unauthorised"');
    expect(sources(strict)).toEqual(['cache']);
  });
});
