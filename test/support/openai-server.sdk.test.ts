/**
 * Is the fake OpenAI server wire-faithful? The official `openai` client is the judge: if it parses our
 * answers, streams and errors the way it parses OpenAI's, tests against the fake say something about
 * the real thing. Everything stays on 127.0.0.1.
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

function clientFor(server: FakeOpenAIServer, options: { apiKey?: string; maxRetries?: number } = {}): OpenAI {
  return new OpenAI({
    baseURL: server.url,
    apiKey: options.apiKey ?? 'sk-test',
    maxRetries: options.maxRetries ?? 0,
    timeout: 10_000,
    // No ambient organisation or project headers from the environment.
    organization: null,
    project: null,
  });
}

const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is the capital of France?' },
];

const weatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: { name: 'get_weather', description: 'Weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

const toolCalls = [
  { id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
  { id: 'call_def', name: 'get_weather', arguments: '{"city":"Lyon","unit":"celsius","days":[1,2,3]}' },
];

describe('the fake OpenAI server, through the official openai client', () => {
  it('non-streaming: content, finish_reason and usage', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', content: 'Paris.', usage: { prompt_tokens: 9, completion_tokens: 12 } });
    const completion = await clientFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages, temperature: 0 });

    expect(completion.object).toBe('chat.completion');
    expect(completion.id).toMatch(/^chatcmpl-/);
    expect(completion.model).toBe('gpt-4o-mini');
    expect(completion.choices).toHaveLength(1);
    const [choice] = completion.choices;
    expect(choice?.message.role).toBe('assistant');
    expect(choice?.message.content).toBe('Paris.');
    expect(choice?.message.refusal).toBeNull();
    expect(choice?.finish_reason).toBe('stop');
    expect(completion.usage).toEqual({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });

    // What the SDK sent is what the server recorded.
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe('Bearer sk-test');
    expect(request?.body).toMatchObject({ model: 'gpt-4o-mini', messages, temperature: 0 });
  });

  it('non-streaming: tool calls', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', toolCalls });
    const completion = await clientFor(server).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      tools: [weatherTool],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    const [choice] = completion.choices;
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBeNull();
    expect(choice?.message.tool_calls).toEqual(
      toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })),
    );
    expect(server.requests[0]?.body.tools).toEqual([weatherTool]);
  });

  it('a finish_reason of length comes through', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', content: 'Par', finishReason: 'length' });
    const completion = await clientFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages, max_tokens: 1 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.choices[0]?.message.content).toBe('Par');
  });

  it('streaming with include_usage: content deltas add up, the last chunk holds the usage', async () => {
    const server = await start();
    const content = 'The capital of France is Paris, on the Seine.';
    server.enqueue({ kind: 'message', content, usage: { prompt_tokens: 11, completion_tokens: 13 } });
    const stream = await clientFor(server).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      stream: true,
      stream_options: { include_usage: true },
    });

    let text = '';
    let role: string | undefined;
    const finishReasons: Array<string | null> = [];
    let usage: OpenAI.CompletionUsage | null | undefined;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks += 1;
      expect(chunk.object).toBe('chat.completion.chunk');
      for (const choice of chunk.choices) {
        role ??= choice.delta.role;
        text += choice.delta.content ?? '';
        finishReasons.push(choice.finish_reason);
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(3);
    expect(role).toBe('assistant');
    expect(text).toBe(content);
    expect(finishReasons.filter((reason) => reason !== null)).toEqual(['stop']);
    expect(usage).toEqual({ prompt_tokens: 11, completion_tokens: 13, total_tokens: 24 });
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('streaming tool calls: argument deltas concatenate per index', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', toolCalls, usage: { prompt_tokens: 20, completion_tokens: 30 } });
    const stream = await clientFor(server).chat.completions.create({
      model: 'gpt-4o-mini',
      messages,
      tools: [weatherTool],
      stream: true,
      stream_options: { include_usage: true },
    });

    const calls: Array<{ id: string; name: string; arguments: string }> = [];
    let pieces = 0;
    let finish: string | null = null;
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) {
        finish = choice.finish_reason ?? finish;
        for (const delta of choice.delta.tool_calls ?? []) {
          const call = (calls[delta.index] ??= { id: '', name: '', arguments: '' });
          if (delta.id) call.id = delta.id;
          if (delta.function?.name) call.name = delta.function.name;
          if (delta.function?.arguments) {
            pieces += 1;
            call.arguments += delta.function.arguments;
          }
        }
      }
      if (chunk.usage) usage = chunk.usage;
    }
    expect(pieces).toBeGreaterThan(toolCalls.length); // the arguments really came in several pieces
    expect(calls).toEqual(toolCalls);
    expect(finish).toBe('tool_calls');
    expect(usage).toEqual({ prompt_tokens: 20, completion_tokens: 30, total_tokens: 50 });
  });

  it("the SDK's own stream accumulator rebuilds the same completion as the non-streaming answer", async () => {
    const server = await start();
    const reply = { kind: 'message' as const, content: 'Checking the weather.', toolCalls: toolCalls.slice(0, 1) };
    server.enqueue(reply, reply);
    const client = clientFor(server);

    const plain = await client.chat.completions.create({ model: 'gpt-4o-mini', messages, tools: [weatherTool] });
    const runner = client.chat.completions.stream({
      model: 'gpt-4o-mini',
      messages,
      tools: [weatherTool],
      stream_options: { include_usage: true },
    });
    let deltas = '';
    runner.on('content', (delta) => {
      deltas += delta;
    });
    const streamed = await runner.finalChatCompletion();

    expect(deltas).toBe('Checking the weather.');
    expect(streamed.choices[0]?.message.content).toBe(plain.choices[0]?.message.content);
    expect(streamed.choices[0]?.message.tool_calls).toEqual(plain.choices[0]?.message.tool_calls);
    expect(streamed.choices[0]?.finish_reason).toBe(plain.choices[0]?.finish_reason);
    expect(streamed.usage).toEqual(plain.usage);
  });

  it('a 401 surfaces as OpenAI.AuthenticationError with the status, code and message', async () => {
    const server = await start({ apiKey: 'sk-right-key-1234' });
    const error = await clientFor(server, { apiKey: 'sk-wrong-key-5678' })
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(401);
    expect(apiError.code).toBe('invalid_api_key');
    expect(apiError.type).toBe('invalid_request_error');
    expect(apiError.message).toContain('Incorrect API key provided');
    expect(apiError.message).not.toContain('sk-wrong-key-5678'); // masked, as OpenAI does
    expect(apiError.message).toContain('5678');
    expect(server.requests).toHaveLength(1);
  });

  it('a 429 surfaces as OpenAI.RateLimitError with its retry-after header (no retries)', async () => {
    const server = await start();
    server.enqueue({
      kind: 'error',
      status: 429,
      type: 'requests',
      code: 'rate_limit_exceeded',
      message: 'Rate limit reached for gpt-4o-mini on requests per min (RPM): Limit 3, Used 3, Requested 1.',
      headers: { 'retry-after': '20', 'x-ratelimit-remaining-requests': '0' },
    });
    const error = await clientFor(server, { maxRetries: 0 })
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(OpenAI.APIError);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.code).toBe('rate_limit_exceeded');
    expect(apiError.message).toContain('Rate limit reached for gpt-4o-mini');
    expect(apiError.headers?.get('retry-after')).toBe('20');
    expect(apiError.headers?.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(server.requests).toHaveLength(1);
  });

  it('a 500 surfaces as OpenAI.InternalServerError', async () => {
    const server = await start();
    server.enqueue({ kind: 'error', status: 500, message: 'The server had an error while processing your request.' });
    const error = await clientFor(server)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(OpenAI.InternalServerError);
    expect((error as InstanceType<typeof OpenAI.APIError>).status).toBe(500);
    expect((error as Error).message).toContain('The server had an error');
  });

  it('the SDK honours the fake retry-after and succeeds on its retry', async () => {
    const server = await start();
    server.enqueue({ kind: 'error', status: 429, message: 'Slow down.', headers: { 'retry-after': '1' } });
    const started = performance.now();
    const completion = await clientFor(server, { maxRetries: 1 }).chat.completions.create({ model: 'gpt-4o-mini', messages });
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(completion.choices[0]?.message.content).toBe('echo: What is the capital of France?');
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  it('reset surfaces as OpenAI.APIConnectionError', async () => {
    const server = await start();
    server.enqueue({ kind: 'reset' });
    const error = await clientFor(server)
      .chat.completions.create({ model: 'gpt-4o-mini', messages })
      .then(
        () => undefined,
        (caught: unknown) => caught,
      );
    expect(error).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  it('a cut stream makes the iteration throw after the first content arrived', async () => {
    const server = await start();
    server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterChunks: 3 });
    const stream = await clientFor(server).chat.completions.create({ model: 'gpt-4o-mini', messages, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe('The capital ');
  });
});
