/**
 * One suite that every LLM provider must pass, run against a local server speaking that provider's
 * real wire format (JSON and SSE) on 127.0.0.1: the same bot, the same neutral params and output.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defineBot, invoke, type ActionCompletedEvent, type InvokeOptions, type LlmMessageParams, type RehearseEvent, type StreamDelta } from '../../../src/index.js';
import { startAnthropicServer, type FakeAnthropicServer } from '../../support/anthropic-server.js';
import { startOpenAIServer, type FakeOpenAIServer } from '../../support/openai-server.js';
import { tempCachePath } from '../../support/temp.js';
import { suiteState } from '../../support/suite-state.js';

interface ProviderUnderTest {
  name: string;
  model: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  env(): Record<string, string>;
  requestCount(): number;
  lastBody(): Record<string, unknown>;
  answer(content: string, usage?: { input: number; output: number }): void;
  toolCall(name: string, input: Record<string, unknown>): void;
  error(status: number, message: string, retryAfter?: string): void;
  reset(): void;
  cut(content: string, afterEvents: number): void;
}

function openai(): ProviderUnderTest {
  let server: FakeOpenAIServer;
  return {
    name: 'OpenAI-compatible',
    model: 'gpt-4o-mini',
    start: async () => void (server = await startOpenAIServer()),
    stop: () => server.close(),
    env: () => ({ ...suiteState(), OPENAI_BASE_URL: server.url, OPENAI_API_KEY: 'sk-parent-secret' }),
    requestCount: () => server.requests.length,
    lastBody: () => server.requests.at(-1)?.body as Record<string, unknown>,
    answer: (content, usage) =>
      server.enqueue({ kind: 'message', content, ...(usage && { usage: { prompt_tokens: usage.input, completion_tokens: usage.output } }) }),
    toolCall: (name, input) => server.enqueue({ kind: 'message', content: null, toolCalls: [{ id: 'call_1', name, arguments: JSON.stringify(input) }] }),
    error: (status, message, retryAfter) => server.enqueue({ kind: 'error', status, message, ...(retryAfter !== undefined && { headers: { 'retry-after': retryAfter } }) }),
    reset: () => server.enqueue({ kind: 'reset' }),
    cut: (content, afterEvents) => server.enqueue({ kind: 'cut', content, afterChunks: afterEvents }),
  };
}

function anthropic(): ProviderUnderTest {
  let server: FakeAnthropicServer;
  return {
    name: 'Anthropic',
    model: 'claude-sonnet-4-5',
    start: async () => void (server = await startAnthropicServer({ apiKey: 'sk-ant-parent-secret' })),
    stop: () => server.close(),
    env: () => ({ ...suiteState(), ANTHROPIC_BASE_URL: server.url, ANTHROPIC_API_KEY: 'sk-ant-parent-secret' }),
    requestCount: () => server.requests.length,
    lastBody: () => server.requests.at(-1)?.body as Record<string, unknown>,
    answer: (content, usage) =>
      server.enqueue({ kind: 'message', content, ...(usage && { usage: { input_tokens: usage.input, output_tokens: usage.output } }) }),
    toolCall: (name, input) => server.enqueue({ kind: 'message', toolUses: [{ id: 'toolu_1', name, input }] }),
    error: (status, message, retryAfter) =>
      server.enqueue({
        kind: 'error',
        status,
        type: status === 429 ? 'rate_limit_error' : status === 401 ? 'authentication_error' : status >= 500 ? 'api_error' : 'invalid_request_error',
        message,
        ...(retryAfter !== undefined && { headers: { 'retry-after': retryAfter } }),
      }),
    reset: () => server.enqueue({ kind: 'reset' }),
    cut: (content, afterEvents) => server.enqueue({ kind: 'cut', content, afterEvents }),
  };
}

const completed = (events: RehearseEvent[]) => events.filter((event): event is ActionCompletedEvent => event.type === 'action.completed');
const deltasIn = (events: RehearseEvent[]) => events.flatMap((event) => (event.type === 'action.delta' ? [event.delta] : []));
const textOf = (deltas: StreamDelta[]) => deltas.map((delta) => (delta.type === 'text' ? delta.text : '')).join('');

describe.each([openai, anthropic])('%o', (make) => {
  const provider = make();
  beforeEach(() => provider.start());
  afterEach(() => provider.stop());

  function ask(extra: Partial<LlmMessageParams> = {}) {
    return defineBot({
      key: 'contract-bot',
      version: 'v1',
      run: (input, ctx) =>
        ctx.llm.message({ model: provider.model, max_tokens: 100, system: 'Be brief.', messages: [{ role: 'user', content: input.prompt }], ...extra }),
    });
  }
  const run = (bot: ReturnType<typeof ask>, options: InvokeOptions = {}) =>
    invoke(bot, { input: 'Where is my parcel?', mode: 'live', env: provider.env(), ...options });

  it(`${provider.name}: answers in the neutral shape, with usage and cost`, async () => {
    provider.answer('It ships tomorrow.', { input: 20, output: 5 });
    const result = await run(ask());
    expect(result.error).toBeUndefined();
    expect(result.result.output).toMatchObject({ content: 'It ships tomorrow.', tool_calls: [], stop_reason: 'end_turn', usage: { input_tokens: 20, output_tokens: 5 } });
    expect(result.usage).toEqual({ inputTokens: 20, outputTokens: 5 });
    expect(result.costUsd).toBeGreaterThan(0);
    expect(JSON.stringify(result)).not.toContain('parent-secret');
  });

  it(`${provider.name}: returns tool calls with their arguments as JSON text`, async () => {
    provider.toolCall('track_parcel', { id: 'P-17' });
    const tools = [{ name: 'track_parcel', description: 'Find a parcel', parameters: { type: 'object', properties: { id: { type: 'string' } } } }];
    const result = await run(ask({ tools }));
    const output = result.result.output as { tool_calls: Array<{ name: string; arguments: string }>; stop_reason: string };
    expect(output.stop_reason).toBe('tool_use');
    expect(output.tool_calls).toHaveLength(1);
    expect(output.tool_calls[0]!.name).toBe('track_parcel');
    expect(JSON.parse(output.tool_calls[0]!.arguments)).toEqual({ id: 'P-17' });
  });

  it(`${provider.name}: streams deltas as events, and the streamed answer equals the whole one`, async () => {
    provider.answer('Your parcel left the depot this morning.', { input: 12, output: 9 });
    const result = await run(ask({ stream: true }));
    expect(result.error).toBeUndefined();
    expect(provider.lastBody().stream).toBe(true);
    const deltas = deltasIn(result.events);
    expect(deltas.length).toBeGreaterThan(3);
    expect(textOf(deltas)).toBe('Your parcel left the depot this morning.');
    expect(result.result.output).toMatchObject({ content: 'Your parcel left the depot this morning.', usage: { input_tokens: 12, output_tokens: 9 } });
    // Deltas come between the action's start and its completion.
    const types = result.events.map((event) => event.type);
    expect(types.indexOf('action.delta')).toBeGreaterThan(types.indexOf('action.started'));
    expect(types.lastIndexOf('action.delta')).toBeLessThan(types.indexOf('action.completed'));
  });

  it(`${provider.name}: streams tool-call arguments in pieces that add up`, async () => {
    provider.toolCall('track_parcel', { id: 'P-17', carrier: 'DHL' });
    const tools = [{ name: 'track_parcel', parameters: { type: 'object' } }];
    const result = await run(ask({ stream: true, tools }));
    const pieces = deltasIn(result.events).filter((delta) => delta.type === 'tool_call');
    expect(pieces.length).toBeGreaterThan(1);
    expect(JSON.parse(pieces.map((piece) => (piece.type === 'tool_call' ? piece.arguments : '')).join(''))).toEqual({ id: 'P-17', carrier: 'DHL' });
    const output = result.result.output as { tool_calls: Array<{ name: string; arguments: string }> };
    expect(JSON.parse(output.tool_calls[0]!.arguments)).toEqual({ id: 'P-17', carrier: 'DHL' });
  });

  it(`${provider.name}: ctx.llm.stream yields the same pieces live, replayed and mocked`, async () => {
    const streamer = defineBot({
      key: 'streaming-bot',
      version: 'v1',
      async run(input, ctx) {
        const stream = ctx.llm.stream({ model: provider.model, max_tokens: 100, messages: [{ role: 'user', content: input.prompt }] });
        const pieces: string[] = [];
        for await (const delta of stream) if (delta.type === 'text') pieces.push(delta.text);
        return { pieces, content: (await stream.output).content };
      },
    });
    const cachePath = tempCachePath();
    provider.answer('Parcels move fast here.');
    const live = await invoke(streamer, { input: 'hi', mode: 'replay', cachePath, env: provider.env() });
    const replayed = await invoke(streamer, { input: 'hi', mode: 'replay', strict: true, cachePath, env: suiteState() });
    const mocked = await invoke(streamer, { input: 'hi', mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'Parcels move fast here.' } } });
    const livePieces = (live.result.output as { pieces: string[] }).pieces;
    expect(livePieces.join('')).toBe('Parcels move fast here.');
    expect((replayed.result.output as { pieces: string[] }).pieces).toEqual(livePieces);
    expect((mocked.result.output as { pieces: string[] }).pieces.join('')).toBe('Parcels move fast here.');
    expect(replayed.cache.hits).toBe(1);
  });

  it(`${provider.name}: streamed and whole calls of one request share a recording`, async () => {
    const cachePath = tempCachePath();
    provider.answer('One answer for both.');
    await invoke(ask({ stream: true }), { input: 'q', mode: 'replay', cachePath, env: provider.env() });
    const whole = await invoke(ask(), { input: 'q', mode: 'replay', strict: true, cachePath, env: suiteState() });
    expect(whole.cache.hits).toBe(1);
    expect(whole.result.output).toMatchObject({ content: 'One answer for both.' });
    expect(deltasIn(whole.events)).toEqual([]);
  });

  it(`${provider.name}: retries a 429 honouring retry-after, a 500 and a dropped connection`, async () => {
    provider.error(429, 'Slow down', '0');
    provider.error(500, 'Internal error');
    provider.answer('Third time lucky.');
    const result = await run(ask());
    expect(result.error).toBeUndefined();
    expect(provider.requestCount()).toBe(3);

    provider.reset();
    provider.answer('After a reset.');
    const afterReset = await run(ask());
    expect(afterReset.result.output).toMatchObject({ content: 'After a reset.' });
  });

  it(`${provider.name}: gives up after the configured retries with the provider's status and message, recording nothing`, async () => {
    for (let attempt = 0; attempt < 3; attempt++) provider.error(503, 'Overloaded, come back later', '0');
    const cachePath = tempCachePath();
    const result = await invoke(ask(), { input: 'q', mode: 'replay', cachePath, env: provider.env() });
    expect(result.error).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(result.error?.message).toContain('503');
    expect(result.error?.message).toContain('Overloaded, come back later');
    expect(provider.requestCount()).toBe(3);
    const strict = await invoke(ask(), { input: 'q', mode: 'replay', strict: true, cachePath, env: suiteState() });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
  });

  it(`${provider.name}: does not retry a 401, and names the key to set`, async () => {
    provider.error(401, 'invalid key');
    const result = await run(ask());
    expect(result.error).toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(result.error?.message).toContain('401');
    expect(result.error?.hint).toMatch(/(OPENAI|ANTHROPIC)_API_KEY/);
    expect(provider.requestCount()).toBe(1);
  });

  it(`${provider.name}: a stream cut off midway fails clearly and is not recorded`, async () => {
    provider.cut('This answer will never reach its end, sadly.', 3);
    const cachePath = tempCachePath();
    const result = await invoke(ask({ stream: true }), { input: 'q', mode: 'replay', cachePath, env: provider.env() });
    expect(result.error?.code).toBe('PROVIDER_STREAM_BROKEN');
    const strict = await invoke(ask(), { input: 'q', mode: 'replay', strict: true, cachePath, env: suiteState() });
    expect(strict.error?.code).toBe('CACHE_STRICT_MISS');
  });

  it(`${provider.name}: costs add up over calls, from the price table`, async () => {
    provider.answer('a', { input: 1000, output: 200 });
    provider.answer('b', { input: 3000, output: 400 });
    const twice = defineBot({
      key: 'twice-bot',
      version: 'v1',
      async run(_input, ctx) {
        await ctx.llm.message({ model: provider.model, max_tokens: 10, messages: [{ role: 'user', content: 'one' }] });
        return ctx.llm.message({ model: provider.model, max_tokens: 10, messages: [{ role: 'user', content: 'two' }] });
      },
    });
    const result = await run(twice);
    const perCall = completed(result.events).map((event) => event.cost_usd);
    expect(perCall).toHaveLength(2);
    expect(result.costUsd).toBeCloseTo(perCall[0]! + perCall[1]!, 12);
    const price = provider.model.startsWith('claude') ? { input: 3, output: 15 } : { input: 0.15, output: 0.6 };
    expect(result.costUsd).toBeCloseTo((4000 * price.input + 600 * price.output) / 1e6, 12);
  });
});
