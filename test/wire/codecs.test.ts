import { describe, expect, it } from 'vitest';
import type { LlmMessageOutput } from '../../src/actions/llm-types.js';
import type { StreamDelta } from '../../src/actions/types.js';
import { ProviderStreamError } from '../../src/errors.js';
import { parseServerSentEvents } from '../../src/wire/sse.js';
import { anthropicMessagesCodec } from '../../src/providers/anthropic-messages/codec.js';
import { openAiChatCodec } from '../../src/providers/openai-chat/codec.js';
import { openAiResponsesCodec } from '../../src/providers/openai-responses/codec.js';
import { providerApi, providerApiNames } from '../../src/providers/registry.js';
import type { WireBody } from '../../src/wire/types.js';
import { mixedOutput, oneChunk, readStream, textOf, textOutput, toolCallsOf, toolOutput, wordsOf } from './support.js';

const requests: Record<string, WireBody> = {
  'openai.chat': { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
  'openai.responses': { model: 'gpt-4o-mini', input: 'hi', stream: true },
  'anthropic.messages': { model: 'claude-sonnet-4-5', max_tokens: 1024, messages: [{ role: 'user', content: 'hi' }], stream: true },
};

const cases = providerApiNames().map((api) => ({ api, codec: providerApi(api).codec, request: requests[api]! }));

/** What a neutral output reads back as through a codec: the model is the request's. */
function expected(output: LlmMessageOutput, request: WireBody): LlmMessageOutput {
  return { ...output, model: request.model as string };
}

async function eventsOf(body: string) {
  const events = [];
  for await (const event of parseServerSentEvents(oneChunk(body))) events.push(event);
  return events;
}

describe('the provider API registry', () => {
  it('lists the three APIs and gives each its codec', () => {
    expect([...providerApiNames()].sort()).toEqual(['anthropic.messages', 'openai.chat', 'openai.responses']);
    expect(providerApi('openai.chat').codec).toBe(openAiChatCodec);
    expect(providerApi('openai.responses').codec).toBe(openAiResponsesCodec);
    expect(providerApi('anthropic.messages').codec).toBe(anthropicMessagesCodec);
    expect(providerApiNames().map((api) => [providerApi(api).codec.api, providerApi(api).provider])).toEqual(
      providerApiNames().map((api) => [api, api.startsWith('anthropic') ? 'anthropic' : 'openai']),
    );
  });
});

describe.each(cases)('$api codec', ({ api, codec, request }) => {
  it.each([
    ['text', textOutput],
    ['tool calls', toolOutput],
    ['text and a tool call', mixedOutput],
  ])('fromNeutral → toNeutral keeps a %s answer', (_name, output) => {
    expect(codec.toNeutral(codec.fromNeutral(output, request))).toEqual(expected(output, request));
  });

  it.each([
    ['text', textOutput],
    ['tool calls', toolOutput],
    ['text and a tool call', mixedOutput],
  ])('streamReader(toEventStream(r)) gives back r for a %s answer, delta by delta', async (_name, output) => {
    const response = codec.fromNeutral(output, request);
    const { deltas, response: read } = await readStream(codec, codec.toEventStream(response, request));
    expect(codec.toNeutral(read)).toEqual(expected(output, request));
    expect(codec.isResponse(read)).toBe(true);
    expect(read.id).toBe(response.id);
    expect(read.model).toBe(response.model);
    // The neutral deltas spell the same answer as the response they came with.
    expect(textOf(deltas)).toBe(output.content ?? '');
    expect(toolCallsOf(deltas)).toEqual(output.tool_calls);
    if (output.content) expect(deltas.filter((delta) => delta.type === 'text').map((delta) => (delta as { text: string }).text)).toEqual(wordsOf(output.content));
  });

  it('the answer read from a stream equals the whole answer in the fields that matter', async () => {
    const response = codec.fromNeutral(mixedOutput, request);
    const { response: read } = await readStream(codec, codec.toEventStream(response, request));
    if (api === 'openai.chat') {
      const pick = (r: Record<string, unknown>) => {
        const choice = (r.choices as Array<{ message: Record<string, unknown>; finish_reason: unknown; index: number }>)[0]!;
        return { id: r.id, created: r.created, model: r.model, object: r.object, usage: r.usage, finish: choice.finish_reason, index: choice.index, content: choice.message.content, tool_calls: choice.message.tool_calls };
      };
      expect(pick(read)).toEqual(pick(response));
    } else {
      // Responses ends with the whole response; Anthropic's events add up to exactly the message.
      expect(read).toEqual(response);
    }
  });

  it('honours recorded text pieces that add up to the text, and falls back to words when they do not', async () => {
    const recorded: StreamDelta[] = [
      { type: 'text', text: 'Hello th' },
      { type: 'text', text: 'ere!  The weather in Par' },
      { type: 'text', text: 'is is mild today.' },
    ];
    const response = codec.fromNeutral(textOutput, request);
    const honoured = await readStream(codec, codec.toEventStream(response, request, recorded));
    expect(honoured.deltas).toEqual(recorded);
    const stale: StreamDelta[] = [{ type: 'text', text: 'Something else entirely.' }];
    const fallback = await readStream(codec, codec.toEventStream(response, request, stale));
    expect(fallback.deltas.map((delta) => (delta as { text: string }).text)).toEqual(wordsOf(textOutput.content!));
  });

  it('honours recorded tool-call argument pieces', async () => {
    const single = { ...toolOutput, tool_calls: toolOutput.tool_calls.slice(1) };
    const recorded: StreamDelta[] = [
      { type: 'tool_call', index: 0, id: 'call_time02', name: 'get_time', arguments: '' },
      { type: 'tool_call', index: 0, arguments: '{"zo' },
      { type: 'tool_call', index: 0, arguments: 'ne":"Europe/' },
      { type: 'tool_call', index: 0, arguments: 'Paris"}' },
    ];
    const response = codec.fromNeutral(single, request);
    const { deltas } = await readStream(codec, codec.toEventStream(response, request, recorded));
    expect(deltas).toEqual(recorded);
  });

  it('a whitespace-only text still streams, as one piece', async () => {
    const output = { ...textOutput, content: '   ' };
    const { deltas, response } = await readStream(codec, codec.toEventStream(codec.fromNeutral(output, request), request));
    expect(deltas).toEqual([{ type: 'text', text: '   ' }]);
    expect(codec.toNeutral(response).content).toBe('   ');
  });

  it('a stream cut before its final event makes finish() throw ProviderStreamError', async () => {
    const body = codec.toEventStream(codec.fromNeutral(mixedOutput, request), request);
    const events = await eventsOf(body);
    // Chat counts a finish_reason as the end (the usage chunk and [DONE] may be lost); the others need their last event.
    const keep = api === 'openai.chat' ? events.findIndex((event) => event.data.includes('"finish_reason":"tool_calls"')) : events.length - 1;
    const reader = codec.streamReader();
    for (const event of events.slice(0, keep)) reader.add(event);
    expect(() => reader.finish()).toThrow(ProviderStreamError);
    expect(() => codec.streamReader().finish()).toThrow(/stream broke/);
  });

  it('ids are stable for the same answer to the same request, streamed or not, and differ for another answer', () => {
    const first = codec.fromNeutral(textOutput, request);
    const unstreamed = { ...request };
    delete unstreamed.stream;
    delete unstreamed.stream_options;
    expect(codec.fromNeutral(textOutput, unstreamed).id).toBe(first.id);
    expect(codec.fromNeutral({ ...textOutput, content: 'Another answer.' }, request).id).not.toBe(first.id);
  });

  it('recognises its own answers and not the other APIs\'', () => {
    for (const other of cases) {
      const answer = other.codec.fromNeutral(textOutput, other.request);
      expect(codec.isResponse(answer)).toBe(other.api === api);
    }
    expect(codec.isResponse(null)).toBe(false);
    expect(codec.isResponse('Hello')).toBe(false);
    expect(codec.isResponse({ content: 'Hello' })).toBe(false);
    // llm.message outputs in the neutral shape share the cache with wire answers: they must not pass for one.
    expect(codec.isResponse(mixedOutput)).toBe(false);
  });
});

describe('openai.chat specifics', () => {
  const request = requests['openai.chat']!;

  it('maps finish reasons to neutral stop reasons and back', () => {
    const base = openAiChatCodec.fromNeutral(textOutput, request);
    const withFinish = (reason: string) => ({ ...base, choices: [{ ...(base.choices as object[])[0], finish_reason: reason }] });
    expect(openAiChatCodec.toNeutral(withFinish('length')).stop_reason).toBe('max_tokens');
    expect(openAiChatCodec.toNeutral(withFinish('content_filter')).stop_reason).toBe('content_filter');
    expect(openAiChatCodec.toNeutral(withFinish('tool_calls')).stop_reason).toBe('tool_use');
    const cut = openAiChatCodec.fromNeutral({ ...textOutput, stop_reason: 'max_tokens' }, request);
    expect((cut.choices as Array<{ finish_reason: string }>)[0]!.finish_reason).toBe('length');
  });

  it('reads usage as 0 when the answer has none', () => {
    const { usage: _usage, ...bare } = openAiChatCodec.fromNeutral(textOutput, request);
    expect(openAiChatCodec.toNeutral(bare).usage).toEqual({ input_tokens: 0, output_tokens: 0 });
  });

  it('sends the usage chunk only when include_usage asks for it', async () => {
    const plain = { model: 'gpt-4o-mini', messages: [], stream: true };
    const response = openAiChatCodec.fromNeutral(textOutput, plain);
    const events = await eventsOf(openAiChatCodec.toEventStream(response, plain));
    expect(events.at(-1)!.data).toBe('[DONE]');
    expect(events.some((event) => event.data.includes('"usage"'))).toBe(false);
    const { response: read } = await readStream(openAiChatCodec, openAiChatCodec.toEventStream(response, plain));
    expect(openAiChatCodec.toNeutral(read).usage).toEqual({ input_tokens: 0, output_tokens: 0 });
  });

  it('an error chunk inside the stream throws with the provider\'s message', () => {
    const reader = openAiChatCodec.streamReader();
    expect(() => reader.add({ event: undefined, data: '{"error":{"message":"The server had an error while processing your request.","type":"server_error"}}' })).toThrow(
      /OpenAI's stream broke: The server had an error while processing your request\./,
    );
  });

  it('the role chunk\'s empty content is not text: a tool-call stream reads as content null, an empty answer as ""', async () => {
    const toolStream = [
      '{"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}',
      '{"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":null}]}',
      '{"id":"chatcmpl-x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}',
    ];
    const reader = openAiChatCodec.streamReader();
    for (const data of [...toolStream, '[DONE]']) reader.add({ event: undefined, data });
    expect(openAiChatCodec.toNeutral(reader.finish())).toMatchObject({ content: null, tool_calls: [{ id: 'call_1', name: 'f', arguments: '{}' }], stop_reason: 'tool_use' });
    const empty = { ...textOutput, content: '' };
    const { response, deltas } = await readStream(openAiChatCodec, openAiChatCodec.toEventStream(openAiChatCodec.fromNeutral(empty, request), request));
    expect(deltas).toEqual([]);
    expect(openAiChatCodec.toNeutral(response).content).toBe('');
  });

  it('a garbled chunk is a broken stream', () => {
    expect(() => openAiChatCodec.streamReader().add({ event: undefined, data: '{"id": "chatcmpl-' })).toThrow(ProviderStreamError);
  });

  it('error bodies have OpenAI\'s shape', () => {
    expect(openAiChatCodec.errorBody(401, 'Incorrect API key provided.', 'invalid_api_key')).toEqual({
      error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
    });
    expect(openAiChatCodec.errorBody(500, 'boom', 'server_error')).toMatchObject({ error: { type: 'server_error', code: 'server_error' } });
  });
});

describe('openai.responses specifics', () => {
  const request = requests['openai.responses']!;

  it('stop reasons: function calls → tool_use, incomplete for max_output_tokens → max_tokens, else end_turn', () => {
    const base = openAiResponsesCodec.fromNeutral(textOutput, request);
    expect(openAiResponsesCodec.toNeutral(base).stop_reason).toBe('end_turn');
    expect(openAiResponsesCodec.toNeutral({ ...base, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }).stop_reason).toBe('max_tokens');
    expect(openAiResponsesCodec.toNeutral(openAiResponsesCodec.fromNeutral(toolOutput, request)).stop_reason).toBe('tool_use');
  });

  it('echoes request settings the API echoes', () => {
    const response = openAiResponsesCodec.fromNeutral(textOutput, { ...request, instructions: 'Be brief.', temperature: 0.2, max_output_tokens: 50 });
    expect(response).toMatchObject({ instructions: 'Be brief.', temperature: 0.2, max_output_tokens: 50, object: 'response', status: 'completed' });
  });

  it('streams annotations and reads them back with the text', async () => {
    const base = openAiResponsesCodec.fromNeutral(textOutput, request);
    const [message] = base.output as Array<{ content: Array<Record<string, unknown>> }>;
    const annotation = { type: 'url_citation', start_index: 0, end_index: 5, url: 'https://example.com/weather', title: 'Weather' };
    message!.content[0]!.annotations = [annotation];
    const body = openAiResponsesCodec.toEventStream(base, request);
    const added = (await eventsOf(body)).filter((event) => event.event === 'response.output_text.annotation.added');
    expect(added.map((event) => JSON.parse(event.data) as unknown)).toEqual([expect.objectContaining({ annotation_index: 0, annotation, content_index: 0, output_index: 0 })]);
    const { response } = await readStream(openAiResponsesCodec, body);
    expect(response).toEqual(base);
  });

  it('error and response.failed events throw with the provider\'s message', () => {
    const error = { type: 'error', sequence_number: 3, code: 'server_error', message: 'The model failed.', param: null };
    expect(() => openAiResponsesCodec.streamReader().add({ event: 'error', data: JSON.stringify(error) })).toThrow(/server_error: The model failed\./);
    const failed = { type: 'response.failed', sequence_number: 5, response: { object: 'response', status: 'failed', error: { code: 'rate_limit_exceeded', message: 'Slow down.' } } };
    expect(() => openAiResponsesCodec.streamReader().add({ event: 'response.failed', data: JSON.stringify(failed) })).toThrow(/rate_limit_exceeded: Slow down\./);
  });

  it('error bodies have OpenAI\'s shape', () => {
    expect(openAiResponsesCodec.errorBody(429, 'Rate limit reached.', 'rate_limit_exceeded')).toEqual({
      error: { message: 'Rate limit reached.', type: 'requests', param: null, code: 'rate_limit_exceeded' },
    });
  });
});

describe('anthropic.messages specifics', () => {
  const request = requests['anthropic.messages']!;

  it('stop reasons: matching ones as they are, pause_turn → end_turn, refusal → content_filter', () => {
    const base = anthropicMessagesCodec.fromNeutral(textOutput, request);
    expect(anthropicMessagesCodec.toNeutral({ ...base, stop_reason: 'max_tokens' }).stop_reason).toBe('max_tokens');
    expect(anthropicMessagesCodec.toNeutral({ ...base, stop_reason: 'stop_sequence' }).stop_reason).toBe('stop_sequence');
    expect(anthropicMessagesCodec.toNeutral({ ...base, stop_reason: 'pause_turn' }).stop_reason).toBe('end_turn');
    expect(anthropicMessagesCodec.toNeutral({ ...base, stop_reason: 'refusal' }).stop_reason).toBe('content_filter');
  });

  it('joins the text of several text blocks and keeps other blocks out of the content', async () => {
    const response = {
      ...anthropicMessagesCodec.fromNeutral(textOutput, request),
      content: [
        { type: 'thinking', thinking: 'The user wants weather.', signature: 'sig-abc' },
        { type: 'text', text: 'Sunny ' },
        { type: 'text', text: 'and warm.' },
      ],
    };
    expect(anthropicMessagesCodec.toNeutral(response).content).toBe('Sunny and warm.');
    const { response: read, deltas } = await readStream(anthropicMessagesCodec, anthropicMessagesCodec.toEventStream(response, request));
    expect(read.content).toEqual(response.content);
    expect(textOf(deltas)).toBe('Sunny and warm.');
  });

  it('streams citations of a text block as citations_delta and reads them back', async () => {
    const citation = { type: 'char_location', cited_text: 'Sunny.', document_index: 0, document_title: 'Forecast', start_char_index: 0, end_char_index: 6 };
    const response = { ...anthropicMessagesCodec.fromNeutral(textOutput, request), content: [{ type: 'text', text: 'It is sunny.', citations: [citation] }] };
    const { response: read } = await readStream(anthropicMessagesCodec, anthropicMessagesCodec.toEventStream(response, request));
    expect(read.content).toEqual(response.content);
  });

  it('an error event inside the stream throws with its type and message', () => {
    const reader = anthropicMessagesCodec.streamReader();
    expect(() => reader.add({ event: 'error', data: '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}' })).toThrow(
      /Anthropic's stream broke: overloaded_error: Overloaded/,
    );
  });

  it('error bodies name the error type of the status', () => {
    expect(anthropicMessagesCodec.errorBody(401, 'invalid x-api-key', 'invalid_api_key')).toEqual({
      type: 'error',
      error: { type: 'authentication_error', message: 'invalid x-api-key' },
    });
    const types = [400, 404, 429, 500, 503].map((status) => (anthropicMessagesCodec.errorBody(status, 'm', 'c') as { error: { type: string } }).error.type);
    expect(types).toEqual(['invalid_request_error', 'not_found_error', 'rate_limit_error', 'api_error', 'api_error']);
  });
});

/** Guards the helper the round trips rely on, so a broken helper cannot make them pass. */
describe('test helpers', () => {
  it('assemble tool calls from neutral deltas', () => {
    expect(
      toolCallsOf([
        { type: 'tool_call', index: 0, id: 'a', name: 'f', arguments: '' },
        { type: 'tool_call', index: 0, arguments: '{"x":' },
        { type: 'tool_call', index: 0, arguments: '1}' },
      ]),
    ).toEqual([{ id: 'a', name: 'f', arguments: '{"x":1}' }]);
  });
});
