import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { openAiResponsesCodec } from '../../src/providers/openai-responses/codec.js';
import { fakeFetch, mixedOutput, textOutput, timeParameters, toolOutput, weatherParameters, wordsOf } from './support.js';

const tools = [
  { type: 'function' as const, name: 'get_weather', parameters: weatherParameters, strict: false },
  { type: 'function' as const, name: 'get_time', parameters: timeParameters, strict: false },
];

function client(fetch: ReturnType<typeof fakeFetch>['fetch']): OpenAI {
  return new OpenAI({ apiKey: 'sk-test', baseURL: 'http://openai.test/v1', fetch, maxRetries: 0 });
}

describe('openai.responses answers, as the official openai SDK reads them', () => {
  it('a whole text answer: output_text, status, usage and resp_/msg_ ids', async () => {
    const fake = fakeFetch(openAiResponsesCodec, textOutput);
    const response = await client(fake.fetch).responses.create({ model: 'gpt-4o-mini', input: 'Weather?' });
    expect(fake.requests[0]!.url).toBe('http://openai.test/v1/responses');
    expect(response.object).toBe('response');
    expect(response.id).toMatch(/^resp_[0-9a-f]{48}$/);
    expect(response.status).toBe('completed');
    expect(response.output_text).toBe(textOutput.content);
    expect(response.output[0]).toMatchObject({ type: 'message', role: 'assistant', id: expect.stringMatching(/^msg_[0-9a-f]{48}$/) });
    expect(response.usage).toMatchObject({
      input_tokens: 9,
      output_tokens: 12,
      total_tokens: 21,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens_details: { reasoning_tokens: 0 },
    });
  });

  it('a whole tool-call answer: function_call items with call ids, names and arguments', async () => {
    const fake = fakeFetch(openAiResponsesCodec, toolOutput);
    const response = await client(fake.fetch).responses.create({ model: 'gpt-4o-mini', input: 'Weather and time?', tools });
    const calls = response.output.flatMap((item) => (item.type === 'function_call' ? [item] : []));
    expect(calls.map((call) => ({ id: call.call_id, name: call.name, arguments: call.arguments }))).toEqual(toolOutput.tool_calls);
    expect(calls.every((call) => /^fc_[0-9a-f]{48}$/.test(call.id ?? ''))).toBe(true);
    expect(response.output_text).toBe('');
    expect(openAiResponsesCodec.toNeutral(fake.responses[0]!)).toEqual(toolOutput);
  });

  it('a stream: numbered events from response.created to response.completed, text in words', async () => {
    const fake = fakeFetch(openAiResponsesCodec, textOutput);
    const stream = await client(fake.fetch).responses.create({ model: 'gpt-4o-mini', input: 'Weather?', stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    const deltas: string[] = [];
    let completedText: string | undefined;
    let usage: unknown;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') deltas.push(event.delta);
      if (event.type === 'response.output_text.done') completedText = event.text;
      if (event.type === 'response.completed') usage = event.response.usage;
    }
    expect(types[0]).toBe('response.created');
    expect(types[1]).toBe('response.in_progress');
    expect(types.at(-1)).toBe('response.completed');
    expect(types).toEqual(
      expect.arrayContaining(['response.output_item.added', 'response.content_part.added', 'response.content_part.done', 'response.output_item.done']),
    );
    expect(sequence).toEqual(sequence.map((_, index) => index));
    expect(deltas).toEqual(wordsOf(textOutput.content!));
    expect(completedText).toBe(textOutput.content);
    expect(usage).toMatchObject({ input_tokens: 9, output_tokens: 12, total_tokens: 21 });
  });

  it('responses.stream().finalResponse() rebuilds text and function calls from the events', async () => {
    const fake = fakeFetch(openAiResponsesCodec, mixedOutput);
    const runner = client(fake.fetch).responses.stream({ model: 'gpt-4o-mini', input: 'Weather?', tools });
    const argumentDeltas: string[] = [];
    runner.on('response.function_call_arguments.delta', (event) => argumentDeltas.push(event.delta));
    const final = await runner.finalResponse();
    expect(final.output_text).toBe(mixedOutput.content);
    const call = final.output.find((item) => item.type === 'function_call');
    expect(call).toMatchObject({ call_id: mixedOutput.tool_calls[0]!.id, name: 'get_weather', arguments: '{"city":"Paris"}' });
    expect(argumentDeltas.join('')).toBe('{"city":"Paris"}');
    expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 18 });
  });

  it('an answer cut by max_tokens is incomplete, and streams as response.incomplete', async () => {
    const cut = { ...textOutput, stop_reason: 'max_tokens' as const };
    const fake = fakeFetch(openAiResponsesCodec, cut);
    const whole = await client(fake.fetch).responses.create({ model: 'gpt-4o-mini', input: 'Weather?' });
    expect(whole.status).toBe('incomplete');
    expect(whole.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(openAiResponsesCodec.toNeutral(fake.responses[0]!).stop_reason).toBe('max_tokens');
    const stream = await client(fake.fetch).responses.create({ model: 'gpt-4o-mini', input: 'Weather?', stream: true });
    const types: string[] = [];
    for await (const event of stream) types.push(event.type);
    expect(types.at(-1)).toBe('response.incomplete');
  });
});
