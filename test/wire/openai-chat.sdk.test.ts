import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openAiChatCodec } from '../../src/providers/openai-chat/codec.js';
import { fakeFetch, textOutput, timeParameters, toolOutput, weatherParameters, wordsOf } from './support.js';

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: weatherParameters } },
  { type: 'function' as const, function: { name: 'get_time', parameters: timeParameters } },
];

function client(fetch: ReturnType<typeof fakeFetch>['fetch']): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: 'http://openai.test/v1', fetch, maxRetries: 0 });
}

describe('openai.chat answers, as the official openai SDK reads them', () => {
  it('a whole text answer: content, finish reason, usage and a chatcmpl id', async () => {
    const fake = fakeFetch(openAiChatCodec, textOutput);
    const completion = await client(fake.fetch).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }] });
    expect(fake.requests[0]!.url).toBe('http://openai.test/v1/chat/completions');
    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-[0-9A-Za-z]{29}$/);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices[0]!.message.content).toBe(textOutput.content);
    expect(completion.choices[0]!.message.refusal).toBeNull();
    expect(completion.choices[0]!.finish_reason).toBe('stop');
    expect(completion.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
  });

  it('a whole tool-call answer: names, arguments, ids and finish_reason tool_calls', async () => {
    const fake = fakeFetch(openAiChatCodec, toolOutput);
    const completion = await client(fake.fetch).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather and time?' }], tools });
    const message = completion.choices[0]!.message;
    expect(message.content).toBeNull();
    expect(message.tool_calls?.map((call) => (call.type === 'function' ? [call.id, call.function.name, call.function.arguments] : []))).toEqual([
      ['call_weather01', 'get_weather', '{"city":"Paris","unit":"celsius"}'],
      ['call_time02', 'get_time', '{"zone":"Europe/Paris"}'],
    ]);
    expect(completion.choices[0]!.finish_reason).toBe('tool_calls');
    expect(openAiChatCodec.toNeutral(fake.responses[0]!)).toEqual(toolOutput);
  });

  it('a stream without include_usage: the words of the text, a finish chunk, and no usage chunk', async () => {
    const fake = fakeFetch(openAiChatCodec, textOutput);
    const stream = await client(fake.fetch).chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }], stream: true });
    const pieces: string[] = [];
    const finishReasons: string[] = [];
    let usageChunks = 0;
    for await (const chunk of stream) {
      if (chunk.usage) usageChunks++;
      const choice = chunk.choices[0];
      if (choice?.delta.content) pieces.push(choice.delta.content);
      if (choice?.finish_reason) finishReasons.push(choice.finish_reason);
    }
    expect(pieces).toEqual(wordsOf(textOutput.content!));
    expect(pieces.join('')).toBe(textOutput.content);
    expect(finishReasons).toEqual(['stop']);
    expect(usageChunks).toBe(0);
  });

  it('a stream with include_usage ends with a choiceless usage chunk', async () => {
    const fake = fakeFetch(openAiChatCodec, textOutput);
    const stream = await client(fake.fetch).chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather?' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1)!;
    expect(last.choices).toEqual([]);
    expect(last.usage).toMatchObject({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
    expect(chunks.slice(0, -1).every((chunk) => chunk.usage === null)).toBe(true);
    expect(chunks.every((chunk) => chunk.id === fake.responses[0]!.id)).toBe(true);
  });

  it('chat.completions.stream().finalChatCompletion() assembles the tool calls and usage', async () => {
    const fake = fakeFetch(openAiChatCodec, toolOutput);
    const runner = client(fake.fetch).chat.completions.stream({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather and time?' }],
      tools,
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    const message = final.choices[0]!.message;
    expect(message.tool_calls?.map((call) => (call.type === 'function' ? { id: call.id, name: call.function.name, arguments: call.function.arguments } : null))).toEqual(
      toolOutput.tool_calls,
    );
    expect(final.choices[0]!.finish_reason).toBe('tool_calls');
    expect(final.usage).toMatchObject({ prompt_tokens: 40, completion_tokens: 25, total_tokens: 65 });
  });

  it('finalChatCompletion() of a text stream gives the text, and the stream is cut at recorded pieces', async () => {
    const recorded = [
      { type: 'text' as const, text: 'Hello the' },
      { type: 'text' as const, text: 're!  The weather in Paris' },
      { type: 'text' as const, text: ' is mild today.' },
    ];
    const fake = fakeFetch(openAiChatCodec, textOutput, recorded);
    const runner = client(fake.fetch).chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Weather?' }] });
    const seen: string[] = [];
    runner.on('content', (delta) => seen.push(delta));
    const final = await runner.finalChatCompletion();
    expect(seen).toEqual(recorded.map((piece) => piece.text));
    expect(final.choices[0]!.message.content).toBe(textOutput.content);
    expect(final.choices[0]!.finish_reason).toBe('stop');
  });
});
