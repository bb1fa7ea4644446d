import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool, type LanguageModel } from 'ai';
import { describe, expect, it } from 'vitest';
import type { LlmMessageOutput } from '../../src/actions/llm-types.js';
import type { WireCodec } from '../../src/wire/types.js';
import { openAiChatCodec } from '../../src/providers/openai-chat/codec.js';
import { openAiResponsesCodec } from '../../src/providers/openai-responses/codec.js';
import { fakeFetch, mixedOutput, textOutput, timeParameters, toolOutput, weatherParameters } from './support.js';

const tools = {
  get_weather: tool({ description: 'The weather in a city', inputSchema: jsonSchema<{ city: string; unit?: string }>(weatherParameters) }),
  get_time: tool({ description: 'The time in a zone', inputSchema: jsonSchema<{ zone: string }>(timeParameters) }),
};

type Pick = (provider: ReturnType<typeof createOpenAI>) => LanguageModel;

/** The AI SDK reaches chat completions through provider.chat(), and the Responses API through provider() and provider.responses(). */
const routes: Array<{ name: string; codec: WireCodec; path: string; model: Pick }> = [
  { name: 'provider.chat(model)', codec: openAiChatCodec, path: '/chat/completions', model: (provider) => provider.chat('gpt-4o-mini') },
  { name: 'provider(model)', codec: openAiResponsesCodec, path: '/responses', model: (provider) => provider('gpt-4o-mini') },
  { name: 'provider.responses(model)', codec: openAiResponsesCodec, path: '/responses', model: (provider) => provider.responses('gpt-4o-mini') },
];

function setup(codec: WireCodec, output: LlmMessageOutput) {
  const fake = fakeFetch(codec, output);
  const provider = createOpenAI({ apiKey: 'x', baseURL: 'http://openai.test/v1', fetch: fake.fetch });
  return { fake, provider };
}

function toolCallsOf(calls: ReadonlyArray<{ toolCallId: string; toolName: string; input: unknown }>) {
  return calls.map((call) => ({ id: call.toolCallId, name: call.toolName, arguments: JSON.stringify(call.input) }));
}

describe.each(routes)('the AI SDK through $name', ({ codec, path, model }) => {
  it('generateText: the text and the usage', async () => {
    const { fake, provider } = setup(codec, textOutput);
    const result = await generateText({ model: model(provider), prompt: 'Weather?' });
    expect(fake.requests[0]!.url).toBe(`http://openai.test/v1${path}`);
    expect(result.text).toBe(textOutput.content);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toMatchObject({ inputTokens: 9, outputTokens: 12, totalTokens: 21 });
  });

  it('generateText: tool calls with their names and arguments', async () => {
    const { provider } = setup(codec, toolOutput);
    const result = await generateText({ model: model(provider), prompt: 'Weather and time?', tools });
    expect(toolCallsOf(result.toolCalls)).toEqual(toolOutput.tool_calls);
    expect(result.finishReason).toBe('tool-calls');
    expect(result.usage).toMatchObject({ inputTokens: 40, outputTokens: 25 });
  });

  it('streamText: the text in pieces, and the usage', async () => {
    const { fake, provider } = setup(codec, textOutput);
    const result = streamText({ model: model(provider), prompt: 'Weather?' });
    const pieces: string[] = [];
    for await (const piece of result.textStream) pieces.push(piece);
    expect(fake.requests[0]!.body.stream).toBe(true);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(textOutput.content);
    expect(await result.text).toBe(textOutput.content);
    expect(await result.usage).toMatchObject({ inputTokens: 9, outputTokens: 12, totalTokens: 21 });
  });

  it('streamText: text and a tool call together', async () => {
    const { provider } = setup(codec, mixedOutput);
    const result = streamText({ model: model(provider), prompt: 'Weather?', tools });
    // A chunk the SDK's schema rejects would surface here as an error part.
    const kinds = new Set<string>();
    for await (const part of result.fullStream) kinds.add(part.type);
    expect(kinds).not.toContain('error');
    expect([...kinds]).toEqual(expect.arrayContaining(['text-delta', 'tool-call', 'finish']));
    expect(await result.text).toBe(mixedOutput.content);
    expect(toolCallsOf(await result.toolCalls)).toEqual(mixedOutput.tool_calls);
    expect(await result.finishReason).toBe('tool-calls');
    expect(await result.usage).toMatchObject({ inputTokens: 30, outputTokens: 18 });
  });
});
