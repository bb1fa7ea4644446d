/**
 * Is the fake OpenAI server's /v1/responses wire-faithful? The official `openai` client is the judge, as
 * openai-server.sdk.test.ts does for chat: it must parse the answers, the event streams and the errors.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { startOpenAIServer, type FakeOpenAIServer } from './openai-server.js';

const servers: FakeOpenAIServer[] = [];

async function start(options?: Parameters<typeof startOpenAIServer>[0]): Promise<FakeOpenAIServer> {
  const server = await startOpenAIServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function clientFor(server: FakeOpenAIServer, apiKey = 'sk-test'): OpenAI {
  return new OpenAI({ baseURL: server.url, apiKey, maxRetries: 0, timeout: 10_000, organization: null, project: null });
}

const weatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  strict: false,
};

describe('the fake OpenAI server on /v1/responses, through the official openai client', () => {
  it('non-streaming: output_text, status, ids and usage; the request is recorded with its path', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', content: 'Paris, on the Seine.', usage: { prompt_tokens: 9, completion_tokens: 6 } });
    const response = await clientFor(server).responses.create({ model: 'gpt-4o-mini', instructions: 'Be terse.', input: 'Capital of France?' });

    expect(response.object).toBe('response');
    expect(response.id).toBe('resp_fake000001');
    expect(response.status).toBe('completed');
    expect(response.model).toBe('gpt-4o-mini');
    expect(response.instructions).toBe('Be terse.');
    expect(response.output_text).toBe('Paris, on the Seine.');
    expect(response.output).toEqual([
      {
        id: 'msg_fake000001',
        type: 'message',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text: 'Paris, on the Seine.', annotations: [], logprobs: [] }],
      },
    ]);
    expect(response.usage).toEqual({
      input_tokens: 9,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 6,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: 15,
    });
    expect(server.requests.map((request) => `${request.method} ${request.path}`)).toEqual(['POST /v1/responses']);
    expect(server.requests[0]?.body).toEqual({ model: 'gpt-4o-mini', instructions: 'Be terse.', input: 'Capital of France?' });
  });

  it('the default handler echoes the last user input, with usage from the text lengths', async () => {
    const server = await start();
    const response = await clientFor(server).responses.create({
      model: 'gpt-4o-mini',
      input: [
        { role: 'user', content: 'first question' },
        { role: 'assistant', content: 'first answer' },
        { role: 'user', content: [{ type: 'input_text', text: 'Weather in Oslo?' }] },
      ],
    });
    expect(response.output_text).toBe('echo: Weather in Oslo?');
    // 14 + 12 + 16 = 42 characters in, 22 out, about 4 a token.
    expect(response.usage).toMatchObject({ input_tokens: 11, output_tokens: 6, total_tokens: 17 });
  });

  it('non-streaming tool calls are function_call items; finish_reason length is an incomplete response', async () => {
    const server = await start();
    server.enqueue(
      { kind: 'message', toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
      { kind: 'message', content: 'Par', finishReason: 'length' },
    );
    const client = clientFor(server);
    const calls = await client.responses.create({ model: 'gpt-4o-mini', input: 'Weather?', tools: [weatherTool] });
    expect(calls.output).toEqual([
      { id: 'fc_fake000001_0', type: 'function_call', status: 'completed', arguments: '{"city":"Paris"}', call_id: 'call_abc', name: 'get_weather' },
    ]);
    expect(calls.output_text).toBe('');
    expect(calls.tools).toEqual([weatherTool]);

    const cut = await client.responses.create({ model: 'gpt-4o-mini', input: 'Capital?', max_output_tokens: 16 });
    expect(cut.status).toBe('incomplete');
    expect(cut.incomplete_details).toEqual({ reason: 'max_output_tokens' });
    expect(cut.output_text).toBe('Par');
    expect(cut.max_output_tokens).toBe(16);
  });

  it('streaming: the documented events in order, numbered, whose deltas add up; completed carries the usage', async () => {
    const server = await start();
    const content = 'The capital of France is Paris.';
    server.enqueue({ kind: 'message', content, usage: { prompt_tokens: 11, completion_tokens: 7 } });
    const stream = await clientFor(server).responses.create({ model: 'gpt-4o-mini', input: 'Capital?', stream: true });
    const types: string[] = [];
    const sequence: number[] = [];
    let text = '';
    let done: string | undefined;
    let completed: OpenAI.Responses.Response | undefined;
    for await (const event of stream) {
      types.push(event.type);
      sequence.push(event.sequence_number);
      if (event.type === 'response.output_text.delta') {
        expect(event).toMatchObject({ item_id: 'msg_fake000001', output_index: 0, content_index: 0 });
        text += event.delta;
      }
      if (event.type === 'response.output_text.done') done = event.text;
      if (event.type === 'response.completed') completed = event.response;
    }
    const deltas = types.filter((type) => type === 'response.output_text.delta').length;
    expect(deltas).toBe(6);
    expect(types).toEqual([
      'response.created',
      'response.in_progress',
      'response.output_item.added',
      'response.content_part.added',
      ...Array<string>(deltas).fill('response.output_text.delta'),
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);
    expect(sequence).toEqual(types.map((_, index) => index));
    expect(text).toBe(content);
    expect(done).toBe(content);
    // output_text is the SDK's own convenience on a whole answer; in the event it is the output items.
    expect(completed?.output).toEqual([
      { id: 'msg_fake000001', type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: content, annotations: [], logprobs: [] }] },
    ]);
    expect(completed?.usage).toMatchObject({ input_tokens: 11, output_tokens: 7, total_tokens: 18 });
    expect(server.requests[0]?.body).toEqual({ model: 'gpt-4o-mini', input: 'Capital?', stream: true });
  });

  it("streaming tool calls: argument deltas and .done; the SDK's stream helper rebuilds the non-streaming answer", async () => {
    const server = await start();
    const reply = {
      kind: 'message' as const,
      content: 'Looking it up.',
      toolCalls: [{ id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' }],
      usage: { prompt_tokens: 20, completion_tokens: 12 },
    };
    server.enqueue(reply, reply);
    const client = clientFor(server);
    const plain = await client.responses.create({ model: 'gpt-4o-mini', input: 'Weather?', tools: [weatherTool] });

    const runner = client.responses.stream({ model: 'gpt-4o-mini', input: 'Weather?', tools: [weatherTool] });
    const argumentDeltas: string[] = [];
    let doneEvent: { name: string; arguments: string } | undefined;
    for await (const event of runner) {
      if (event.type === 'response.function_call_arguments.delta') {
        expect(event).toMatchObject({ item_id: 'fc_fake000002_0', output_index: 1 });
        argumentDeltas.push(event.delta);
      }
      if (event.type === 'response.function_call_arguments.done') doneEvent = { name: event.name, arguments: event.arguments };
    }
    const streamed = await runner.finalResponse();

    expect(argumentDeltas.length).toBeGreaterThan(2);
    expect(argumentDeltas.join('')).toBe(reply.toolCalls[0]!.arguments);
    expect(doneEvent).toEqual({ name: 'get_weather', arguments: reply.toolCalls[0]!.arguments });
    expect(streamed.output_text).toBe('Looking it up.');
    const shape = (response: OpenAI.Responses.Response) =>
      response.output.map((item) => (item.type === 'function_call' ? { call: item.call_id, name: item.name, arguments: item.arguments } : { text: item.type }));
    expect(shape(streamed)).toEqual(shape(plain));
    expect(shape(plain)).toEqual([{ text: 'message' }, { call: 'call_abc', name: 'get_weather', arguments: reply.toolCalls[0]!.arguments }]);
    expect(streamed.usage).toEqual(plain.usage);
  });

  it('errors, the key check and a cut stream behave as on chat', async () => {
    const server = await start({ apiKey: 'sk-right-key-1234' });
    const wrong = await clientFor(server, 'sk-wrong-key-5678')
      .responses.create({ model: 'gpt-4o-mini', input: 'Hi' })
      .catch((caught: unknown) => caught);
    expect(wrong).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((wrong as InstanceType<typeof OpenAI.APIError>).code).toBe('invalid_api_key');

    const client = clientFor(server, 'sk-right-key-1234');
    server.enqueue({ kind: 'error', status: 429, message: 'Rate limit reached.', code: 'rate_limit_exceeded', type: 'requests' });
    const limited = await client.responses.create({ model: 'gpt-4o-mini', input: 'Hi' }).catch((caught: unknown) => caught);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as Error).message).toContain('Rate limit reached.');

    server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterChunks: 6 });
    const stream = await client.responses.create({ model: 'gpt-4o-mini', input: 'Capital?', stream: true });
    let text = '';
    const broken = await (async () => {
      for await (const event of stream) if (event.type === 'response.output_text.delta') text += event.delta;
    })().catch((caught: unknown) => caught);
    expect(broken).toBeInstanceOf(Error);
    expect(text).toBe('The capital ');
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/responses', '/v1/responses', '/v1/responses']);
  });
});
