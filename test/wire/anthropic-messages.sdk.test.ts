import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { anthropicMessagesCodec } from '../../src/providers/anthropic-messages/codec.js';
import { fakeFetch, mixedOutput, textOutput, toolOutput, weatherParameters, timeParameters, wordsOf } from './support.js';

const tools = [
  { name: 'get_weather', input_schema: weatherParameters },
  { name: 'get_time', input_schema: timeParameters },
];

function client(fetch: ReturnType<typeof fakeFetch>['fetch']): Anthropic {
  return new Anthropic({ apiKey: 'sk-ant-test', baseURL: 'http://anthropic.test', fetch, maxRetries: 0 });
}

const ask = { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user' as const, content: 'Weather?' }] };

describe('anthropic.messages answers, as the official @anthropic-ai/sdk reads them', () => {
  it('a whole text answer: a text block, stop_reason, usage and a msg_01 id', async () => {
    const fake = fakeFetch(anthropicMessagesCodec, textOutput);
    const message = await client(fake.fetch).messages.create(ask);
    expect(fake.requests[0]!.url).toBe('http://anthropic.test/v1/messages');
    expect(message.type).toBe('message');
    expect(message.id).toMatch(/^msg_01[0-9A-Za-z]{22}$/);
    expect(message.model).toBe('claude-sonnet-4-5');
    expect(message.content).toEqual([{ type: 'text', text: textOutput.content }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.usage).toMatchObject({ input_tokens: 9, output_tokens: 12 });
  });

  it('a whole tool-use answer: tool_use blocks with the parsed input', async () => {
    const fake = fakeFetch(anthropicMessagesCodec, toolOutput);
    const message = await client(fake.fetch).messages.create({ ...ask, tools });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'call_weather01', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
      { type: 'tool_use', id: 'call_time02', name: 'get_time', input: { zone: 'Europe/Paris' } },
    ]);
    expect(anthropicMessagesCodec.toNeutral(fake.responses[0]!)).toEqual({ ...toolOutput, model: 'claude-sonnet-4-5' });
  });

  it('a tool call without an id gets a toolu_01 id that is the same on every replay', async () => {
    const unnamed = { ...toolOutput, tool_calls: [{ id: '', name: 'get_time', arguments: '{"zone":"UTC"}' }] };
    const first = await client(fakeFetch(anthropicMessagesCodec, unnamed).fetch).messages.create({ ...ask, tools });
    const second = await client(fakeFetch(anthropicMessagesCodec, unnamed).fetch).messages.create({ ...ask, tools });
    const id = (first.content[0] as { id: string }).id;
    expect(id).toMatch(/^toolu_01[0-9A-Za-z]{22}$/);
    expect((second.content[0] as { id: string }).id).toBe(id);
    expect(second.id).toBe(first.id);
  });

  it('a raw stream: message_start, one block of text_deltas in words, message_delta, message_stop', async () => {
    const fake = fakeFetch(anthropicMessagesCodec, textOutput);
    const stream = await client(fake.fetch).messages.create({ ...ask, stream: true });
    const types: string[] = [];
    const deltas: string[] = [];
    let outputTokens: number | undefined;
    let inputTokens: number | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') deltas.push(event.delta.text);
      if (event.type === 'message_delta') outputTokens = event.usage.output_tokens;
    }
    expect(types[0]).toBe('message_start');
    expect(types.slice(-2)).toEqual(['message_delta', 'message_stop']);
    expect(types.filter((type) => type === 'content_block_start')).toHaveLength(1);
    expect(deltas).toEqual(wordsOf(textOutput.content!));
    expect(inputTokens).toBe(9);
    expect(outputTokens).toBe(12);
  });

  it('messages.stream().finalMessage() rebuilds text and tool input, and emits the text as it comes', async () => {
    const fake = fakeFetch(anthropicMessagesCodec, mixedOutput);
    const runner = client(fake.fetch).messages.stream({ ...ask, tools });
    const texts: string[] = [];
    runner.on('text', (delta) => texts.push(delta));
    const final = await runner.finalMessage();
    expect(texts.join('')).toBe(mixedOutput.content);
    expect(final.content).toEqual([
      { type: 'text', text: 'Let me look that up.' },
      { type: 'tool_use', id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', name: 'get_weather', input: { city: 'Paris' } },
    ]);
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toMatchObject({ input_tokens: 30, output_tokens: 18 });
    expect(final.id).toBe(fake.responses[0]!.id);
  });

  it('messages.stream() streams tool input in the recorded pieces', async () => {
    const recorded = [
      { type: 'tool_call' as const, index: 0, id: 'call_weather01', name: 'get_weather', arguments: '' },
      { type: 'tool_call' as const, index: 0, arguments: '{"city":"Pa' },
      { type: 'tool_call' as const, index: 0, arguments: 'ris","unit":"celsius"}' },
    ];
    const fake = fakeFetch(anthropicMessagesCodec, { ...toolOutput, tool_calls: toolOutput.tool_calls.slice(0, 1) }, recorded);
    const runner = client(fake.fetch).messages.stream({ ...ask, tools });
    const json: string[] = [];
    runner.on('inputJson', (partial) => json.push(partial));
    const final = await runner.finalMessage();
    expect(json).toEqual(['{"city":"Pa', 'ris","unit":"celsius"}']);
    expect(final.content[0]).toMatchObject({ type: 'tool_use', input: { city: 'Paris', unit: 'celsius' } });
  });

  it('replays recorded partial_json spelled with spaces, since it means the same input', async () => {
    const recorded = [
      { type: 'tool_call' as const, index: 0, id: 'call_weather01', name: 'get_weather', arguments: '' },
      { type: 'tool_call' as const, index: 0, arguments: '{"city": "Pa' },
      { type: 'tool_call' as const, index: 0, arguments: 'ris", "unit": "celsius"}' },
    ];
    const fake = fakeFetch(anthropicMessagesCodec, { ...toolOutput, tool_calls: toolOutput.tool_calls.slice(0, 1) }, recorded);
    const runner = client(fake.fetch).messages.stream({ ...ask, tools });
    const json: string[] = [];
    runner.on('inputJson', (partial) => json.push(partial));
    const final = await runner.finalMessage();
    expect(json).toEqual(['{"city": "Pa', 'ris", "unit": "celsius"}']);
    expect(final.content[0]).toMatchObject({ type: 'tool_use', id: 'call_weather01', input: { city: 'Paris', unit: 'celsius' } });
  });
});
