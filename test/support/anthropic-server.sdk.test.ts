/**
 * Is the fake Anthropic server wire-faithful? The official `@anthropic-ai/sdk` client is the judge: if it
 * parses our answers, streams and errors the way it parses Anthropic's, tests against the fake say
 * something about the real thing. Everything stays on 127.0.0.1.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { startAnthropicServer, type FakeAnthropicServer } from './anthropic-server.js';

const servers: FakeAnthropicServer[] = [];

async function start(options?: Parameters<typeof startAnthropicServer>[0]): Promise<FakeAnthropicServer> {
  const server = await startAnthropicServer(options);
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function clientFor(server: FakeAnthropicServer, options: { apiKey?: string; maxRetries?: number } = {}): Anthropic {
  return new Anthropic({
    baseURL: server.url,
    apiKey: options.apiKey ?? 'k',
    // No ambient bearer token from the environment.
    authToken: null,
    maxRetries: options.maxRetries ?? 0,
    timeout: 10_000,
  });
}

const messages: Anthropic.MessageParam[] = [{ role: 'user', content: 'What is the capital of France?' }];
const params = { model: 'claude-sonnet-4-6', max_tokens: 1024, system: 'You are terse.', messages };

const weatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'Weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } } },
};

const toolUses = [
  { id: 'toolu_abc', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
  { id: 'toolu_def', name: 'get_weather', input: { city: 'Lyon', unit: 'celsius', days: [1, 2, 3] } },
];

/** The rejection of `promise`, or undefined when it resolves. */
function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
}

describe('the fake Anthropic server, through the official @anthropic-ai/sdk client', () => {
  it('non-streaming: text, stop_reason and usage', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', content: 'Paris.', usage: { input_tokens: 12, output_tokens: 6 } });
    const message = await clientFor(server).messages.create(params);

    expect(message.type).toBe('message');
    expect(message.id).toBe('msg_fake000001');
    expect(message.role).toBe('assistant');
    expect(message.model).toBe('claude-sonnet-4-6');
    expect(message.content).toEqual([{ type: 'text', text: 'Paris.' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.stop_sequence).toBeNull();
    expect(message.usage).toEqual({ input_tokens: 12, output_tokens: 6 });
    expect(message._request_id).toBe('req_fake000001');

    // What the SDK sent is what the server recorded. SDK 1.x speaks API version 2026-10-21 and sends the
    // key as a bearer token, which the fake (like the API) accepts as well as x-api-key.
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/messages');
    expect(request?.headers.authorization).toBe('Bearer k');
    expect(request?.headers['anthropic-version']).toBe('2026-10-21');
    expect(request?.body).toEqual(params);
  });

  it('non-streaming: tool_use blocks and the tool_use stop reason', async () => {
    const server = await start();
    server.enqueue({ kind: 'message', toolUses });
    const message = await clientFor(server).messages.create({
      ...params,
      tools: [weatherTool],
      tool_choice: { type: 'tool', name: 'get_weather' },
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content).toEqual(toolUses.map((use) => ({ type: 'tool_use', ...use })));
    expect(server.requests[0]?.body.tools).toEqual([weatherTool]);
  });

  it('the default handler echoes, with usage derived from the text', async () => {
    const server = await start();
    const message = await clientFor(server).messages.create(params);
    expect(message.content).toEqual([{ type: 'text', text: 'echo: What is the capital of France?' }]);
    expect(message.usage).toEqual({ input_tokens: 11, output_tokens: 9 });
  });

  it('create({stream: true}): raw events in order, text deltas add up, usage from message_start and message_delta', async () => {
    const server = await start();
    const content = 'The capital of France is Paris, on the Seine.';
    server.enqueue({ kind: 'message', content, usage: { input_tokens: 25, output_tokens: 15 } });
    const stream = await clientFor(server).messages.create({ ...params, stream: true });

    const types: string[] = [];
    let text = '';
    let inputTokens: number | undefined;
    let outputTokens: number | undefined;
    let stopReason: string | null | undefined;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'message_start') inputTokens = event.message.usage.input_tokens;
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') {
        outputTokens = event.usage.output_tokens;
        stopReason = event.delta.stop_reason;
      }
    }
    expect(text).toBe(content);
    // ping is swallowed by the SDK; the rest arrive in the documented order.
    expect(types[0]).toBe('message_start');
    expect(types[1]).toBe('content_block_start');
    expect(types.filter((t) => t === 'content_block_delta').length).toBeGreaterThan(3);
    expect(types.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    expect(inputTokens).toBe(25);
    expect(outputTokens).toBe(15);
    expect(stopReason).toBe('end_turn');
    expect(server.requests[0]?.body).toMatchObject({ stream: true });
  });

  it("messages.stream(): 'text' events add up and finalMessage() equals the non-streaming answer", async () => {
    const server = await start();
    const reply = { kind: 'message' as const, content: 'Paris, on the Seine.', usage: { input_tokens: 25, output_tokens: 15 } };
    server.enqueue(reply, reply);
    const client = clientFor(server);

    const plain = await client.messages.create(params);
    const stream = client.messages.stream(params);
    let deltas = '';
    stream.on('text', (delta) => {
      deltas += delta;
    });
    const final = await stream.finalMessage();

    expect(deltas).toBe('Paris, on the Seine.');
    expect(await stream.finalText()).toBe('Paris, on the Seine.');
    expect(final.content).toEqual(plain.content);
    expect(final.stop_reason).toBe(plain.stop_reason);
    expect(final.usage).toEqual({ input_tokens: 25, output_tokens: 15 });
    expect(final.usage).toEqual(plain.usage);
    expect(final.model).toBe(plain.model);
  });

  it('messages.stream(): tool input deltas are assembled into the same tool_use blocks', async () => {
    const server = await start();
    const reply = { kind: 'message' as const, content: 'Checking the weather.', toolUses };
    server.enqueue(reply, reply);
    const client = clientFor(server);

    const plain = await client.messages.create({ ...params, tools: [weatherTool] });
    const stream = client.messages.stream({ ...params, tools: [weatherTool] });
    let pieces = 0;
    stream.on('inputJson', () => {
      pieces += 1;
    });
    const final = await stream.finalMessage();

    expect(pieces).toBeGreaterThan(toolUses.length); // the input really came in several pieces
    expect(final.content).toEqual(plain.content);
    expect(final.content.slice(1)).toEqual(toolUses.map((use) => ({ type: 'tool_use', ...use })));
    expect(final.stop_reason).toBe('tool_use');
    expect(final.usage).toEqual(plain.usage);
  });

  it('the right key passes the fake\'s key check', async () => {
    const server = await start({ apiKey: 'sk-ant-right' });
    const message = await clientFor(server, { apiKey: 'sk-ant-right' }).messages.create(params);
    expect(message.content).toEqual([{ type: 'text', text: 'echo: What is the capital of France?' }]);
  });

  it('a 401 surfaces as Anthropic.AuthenticationError with status, type and message', async () => {
    const server = await start({ apiKey: 'sk-ant-right' });
    const error = await rejectionOf(clientFor(server, { apiKey: 'sk-ant-wrong' }).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(401);
    expect(apiError.type).toBe('authentication_error');
    expect(apiError.message).toContain('invalid x-api-key');
    expect(apiError.message).toMatch(/^401 /);
    expect(apiError.requestID).toBe('req_fake000001');
    expect(server.requests).toHaveLength(1);
  });

  it('a 429 surfaces as Anthropic.RateLimitError with its retry-after header (no retries)', async () => {
    const server = await start();
    server.enqueue({
      kind: 'error',
      status: 429,
      type: 'rate_limit_error',
      message: 'Number of request tokens has exceeded your per-minute rate limit',
      headers: { 'retry-after': '20', 'anthropic-ratelimit-requests-remaining': '0' },
    });
    const error = await rejectionOf(clientFor(server).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
    const apiError = error as InstanceType<typeof Anthropic.APIError>;
    expect(apiError.status).toBe(429);
    expect(apiError.type).toBe('rate_limit_error');
    expect(apiError.message).toContain('per-minute rate limit');
    expect(apiError.headers?.get('retry-after')).toBe('20');
    expect(apiError.headers?.get('anthropic-ratelimit-requests-remaining')).toBe('0');
    expect(server.requests).toHaveLength(1);
  });

  it('a 529 surfaces as Anthropic.InternalServerError of type overloaded_error', async () => {
    const server = await start();
    server.enqueue({ kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' });
    const error = await rejectionOf(clientFor(server).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.InternalServerError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).type).toBe('overloaded_error');
  });

  it('the SDK honours the fake retry-after and succeeds on its retry', async () => {
    const server = await start();
    server.enqueue({ kind: 'error', status: 429, type: 'rate_limit_error', message: 'Slow down.', headers: { 'retry-after': '1' } });
    const started = performance.now();
    const message = await clientFor(server, { maxRetries: 1 }).messages.create(params);
    expect(performance.now() - started).toBeGreaterThanOrEqual(900);
    expect(message.content).toEqual([{ type: 'text', text: 'echo: What is the capital of France?' }]);
    expect(server.requests).toHaveLength(2);
    expect(server.requests[1]?.headers['x-stainless-retry-count']).toBe('1');
  });

  it('reset surfaces as Anthropic.APIConnectionError', async () => {
    const server = await start();
    server.enqueue({ kind: 'reset' });
    const error = await rejectionOf(clientFor(server).messages.create(params));
    expect(error).toBeInstanceOf(Anthropic.APIConnectionError);
  });

  it('a cut stream makes finalMessage() reject after the first text arrived', async () => {
    const server = await start();
    server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterEvents: 5 });
    const stream = clientFor(server).messages.stream(params);
    let text = '';
    stream.on('text', (delta) => {
      text += delta;
    });
    const error = await rejectionOf(stream.finalMessage());
    expect(error).toBeInstanceOf(Error);
    expect(text).toBe('The capital ');
  });
});
