import type { LlmMessageOutput } from '../../src/actions/llm-types.js';
import type { StreamDelta } from '../../src/actions/types.js';
import { parseServerSentEvents } from '../../src/wire/sse.js';
import type { WireBody, WireCodec, WireResponse } from '../../src/wire/types.js';

/** A text answer with punctuation and runs of spaces, so cutting and joining are both exercised. */
export const textOutput: LlmMessageOutput = {
  content: 'Hello there!  The weather in Paris is mild today.',
  tool_calls: [],
  stop_reason: 'end_turn',
  model: 'gpt-4o-mini',
  usage: { input_tokens: 9, output_tokens: 12 },
};

/** Two tool calls and no text; the arguments are compact JSON, as JSON.stringify writes them. */
export const toolOutput: LlmMessageOutput = {
  content: null,
  tool_calls: [
    { id: 'call_weather01', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
    { id: 'call_time02', name: 'get_time', arguments: '{"zone":"Europe/Paris"}' },
  ],
  stop_reason: 'tool_use',
  model: 'gpt-4o-mini',
  usage: { input_tokens: 40, output_tokens: 25 },
};

/** Text and a tool call in one answer. */
export const mixedOutput: LlmMessageOutput = {
  content: 'Let me look that up.',
  tool_calls: [{ id: 'toolu_01AbCdEfGhIjKlMnOpQrStUv', name: 'get_weather', arguments: '{"city":"Paris"}' }],
  stop_reason: 'tool_use',
  model: 'claude-sonnet-4-5',
  usage: { input_tokens: 30, output_tokens: 18 },
};

export const weatherParameters = {
  type: 'object' as const,
  properties: { city: { type: 'string' }, unit: { type: 'string' } },
  required: ['city'],
};

export const timeParameters = { type: 'object' as const, properties: { zone: { type: 'string' } }, required: ['zone'] };

/** A whole event-stream body as the one-chunk stream parseServerSentEvents reads. */
export async function* oneChunk(body: string): AsyncGenerator<string> {
  yield body;
}

async function bodyOf(input: string | URL | Request, init?: RequestInit): Promise<string> {
  if (typeof init?.body === 'string') return init.body;
  return new Request(input, init).text();
}

/**
 * A `fetch` that answers every call the way the provider would: the request body it was sent goes
 * to fromNeutral (and to toEventStream when it asked to stream). Nothing touches the network.
 */
export function fakeFetch(codec: WireCodec, output: LlmMessageOutput, pieces?: readonly StreamDelta[]) {
  const requests: Array<{ url: string; body: WireBody }> = [];
  const responses: WireResponse[] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const body = JSON.parse(await bodyOf(input, init)) as WireBody;
    requests.push({ url, body });
    const response = codec.fromNeutral(output, body);
    responses.push(response);
    if (body.stream === true) {
      return new Response(codec.toEventStream(response, body, pieces), { status: 200, headers: { 'content-type': 'text/event-stream' } });
    }
    return new Response(JSON.stringify(response), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  return { fetch, requests, responses };
}

/** Runs a rendered event stream through a codec's reader: the deltas it gave and the answer it made. */
export async function readStream(codec: WireCodec, body: string): Promise<{ deltas: StreamDelta[]; response: WireResponse }> {
  const reader = codec.streamReader();
  const deltas: StreamDelta[] = [];
  for await (const event of parseServerSentEvents(oneChunk(body))) deltas.push(...reader.add(event));
  return { deltas, response: reader.finish() };
}

/** The text the neutral deltas spell. */
export function textOf(deltas: readonly StreamDelta[]): string {
  return deltas.flatMap((delta) => (delta.type === 'text' ? [delta.text] : [])).join('');
}

/** The tool calls the neutral deltas spell, as the live executors assemble them. */
export function toolCallsOf(deltas: readonly StreamDelta[]): Array<{ id: string; name: string; arguments: string }> {
  const calls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const delta of deltas) {
    if (delta.type !== 'tool_call') continue;
    const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
    if (delta.id) call.id = delta.id;
    if (delta.name) call.name += delta.name;
    call.arguments += delta.arguments;
  }
  return calls;
}

/** The word split llm.message uses, to check the default cut. */
export function wordsOf(text: string): string[] {
  return text.match(/\s*\S+\s*/g) ?? [];
}
