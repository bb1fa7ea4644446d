/**
 * The live OpenAI Chat Completions executor, end to end through invoke(): what goes on the wire, what
 * comes back in the neutral shape, what it costs, and how every kind of failure reads. The provider is
 * the local fake in test/support/openai-server.ts; nothing here may reach the internet.
 */
import { existsSync } from 'node:fs';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineBot, invoke, type InvokeResult, type LlmMessageOutput, type LlmMessageParams, type RehearseEvent } from '../../src/index.js';
import { startOpenAIServer, type ChatReply, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath } from '../support/temp.js';
import { suiteState } from '../support/suite-state.js';

// A guard on the HTTP client the executor uses: anything but the local fake is refused (and
// counted), so a bug can never send a request, let alone a key, to a real provider.
const guard = vi.hoisted(() => ({ calls: [] as string[] }));
vi.mock('undici', async (importOriginal) => {
  const actual = await importOriginal<typeof import('undici')>();
  const request = (url: unknown, options?: unknown) => {
    const target = new URL(String(url));
    guard.calls.push(target.href);
    if (target.hostname !== '127.0.0.1') {
      return Promise.reject(new Error(`test guard: refused a request to ${target.origin}`));
    }
    return (actual.request as (url: unknown, options?: unknown) => unknown)(url, options);
  };
  return { ...actual, request };
});

const apiKey = 'sk-test-123';
const servers: FakeOpenAIServer[] = [];

async function server(options?: Parameters<typeof startOpenAIServer>[0]): Promise<FakeOpenAIServer> {
  const started = await startOpenAIServer(options);
  servers.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  guard.calls.length = 0;
});

/** The environment of a run against `s`; `key: null` leaves OPENAI_API_KEY out. */
function envFor(s: { url: string }, key: string | null = apiKey): Record<string, string> {
  return { ...suiteState(), OPENAI_BASE_URL: s.url, ...(key !== null && { OPENAI_API_KEY: key }) };
}

/** A bot that makes the given calls in order and returns every answer. */
function callingBot(key: string, ...calls: LlmMessageParams[]) {
  return defineBot({
    key,
    async run(_input, ctx) {
      const outputs: LlmMessageOutput[] = [];
      for (const params of calls) outputs.push(await ctx.llm.message(params));
      return outputs;
    },
  });
}

const simple: LlmMessageParams = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello?' }] };

function outputsOf(result: InvokeResult): LlmMessageOutput[] {
  expect(result.error).toBeUndefined();
  expect(result.success).toBe(true);
  return result.result.output as LlmMessageOutput[];
}

function warnings(events: RehearseEvent[]): string[] {
  return events.flatMap((event) => (event.type === 'log' && event.level === 'warn' ? [event.message] : []));
}

describe('openai-chat: the request', () => {
  it('maps the neutral params onto the Chat Completions body, with the key only in the authorization header', async () => {
    const s = await server();
    const tools = [
      {
        name: 'get_weather',
        description: 'The weather in a city.',
        parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
      },
    ];
    const bot = callingBot('request-shape-bot', {
      model: 'gpt-4o-mini',
      system: 'You are terse.',
      messages: [
        { role: 'user', content: 'Weather in Paris?' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }] },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      temperature: 0.3,
      max_tokens: 42,
      tools,
      tool_choice: { name: 'get_weather' },
    });

    const result = await invoke(bot, { mode: 'live', env: envFor(s) });
    expect(result.error).toBeUndefined();
    expect(s.requests).toHaveLength(1);
    // The guard sees the executor's requests (so its silence in the API_KEY_MISSING tests means something).
    expect(guard.calls).toEqual([`${s.url}/chat/completions`]);
    const [request] = s.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(request?.headers['content-type']).toMatch(/^application\/json/);
    expect(request?.body).toEqual({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'You are terse.' },
        { role: 'user', content: 'Weather in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_1', content: '{"temp":21}' },
      ],
      temperature: 0.3,
      max_tokens: 42,
      tools: [{ type: 'function', function: tools[0] }],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    });
    // The key never enters the body.
    expect(request?.rawBody).not.toContain(apiKey);

    // Nor anything the caller gets back: events, messages, formatted output.
    expect(JSON.stringify(result)).not.toContain(apiKey);
    expect(JSON.stringify(result.events)).not.toContain(apiKey);
  });

  it('sends only what was given: no system message, no optional fields, string tool_choice as is', async () => {
    const s = await server();
    await invoke(callingBot('minimal-request-bot', simple, { ...simple, tool_choice: 'auto', tools: [{ name: 'noop', parameters: { type: 'object' } }] }), {
      mode: 'live',
      env: envFor(s),
    });
    expect(s.requests).toHaveLength(2);
    expect(s.requests[0]?.body).toEqual({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello?' }] });
    expect(s.requests[1]?.body.tool_choice).toBe('auto');
    expect(s.requests[1]?.body.tools).toEqual([{ type: 'function', function: { name: 'noop', parameters: { type: 'object' } } }]);
  });

  it('sends no authorization header to a local server when no key is set', async () => {
    const s = await server();
    const result = await invoke(callingBot('no-key-local-bot', simple), { mode: 'live', env: envFor(s, null) });
    expect(result.success).toBe(true);
    expect(s.requests[0]?.headers.authorization).toBeUndefined();
  });
});

describe('openai-chat: the answer', () => {
  it('returns content, tool calls, stop reasons and usage in the neutral shape', async () => {
    const s = await server();
    s.enqueue(
      { kind: 'message', content: 'Hello there', usage: { prompt_tokens: 9, completion_tokens: 12 } },
      { kind: 'message', content: 'cut sh', finishReason: 'length', usage: { prompt_tokens: 5, completion_tokens: 2 } },
      {
        kind: 'message',
        toolCalls: [
          { id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' },
          { id: 'call_def', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
        ],
        usage: { prompt_tokens: 20, completion_tokens: 30 },
      },
    );
    const result = await invoke(callingBot('answer-shape-bot', simple, simple, simple), { mode: 'live', env: envFor(s) });
    const [text, cut, tools] = outputsOf(result);

    expect(text).toEqual({
      content: 'Hello there',
      tool_calls: [],
      stop_reason: 'end_turn',
      model: 'gpt-4o-mini',
      usage: { input_tokens: 9, output_tokens: 12 },
    });
    expect(cut?.stop_reason).toBe('max_tokens');
    expect(cut?.content).toBe('cut sh');
    expect(tools).toEqual({
      content: null,
      tool_calls: [
        { id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris"}' },
        { id: 'call_def', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
      ],
      stop_reason: 'tool_use',
      model: 'gpt-4o-mini',
      usage: { input_tokens: 20, output_tokens: 30 },
    });

    // Usage adds up over the calls; each action reports its own.
    expect(result.usage).toEqual({ inputTokens: 9 + 5 + 20, outputTokens: 12 + 2 + 30 });
    const completed = result.events.filter((event) => event.type === 'action.completed');
    expect(completed.map((event) => event.type === 'action.completed' && event.source)).toEqual(['live', 'live', 'live']);
    expect(completed.map((event) => event.type === 'action.completed' && event.usage)).toEqual([
      { input_tokens: 9, output_tokens: 12 },
      { input_tokens: 5, output_tokens: 2 },
      { input_tokens: 20, output_tokens: 30 },
    ]);
    // A tool-calling answer is a step of the conversation with its calls.
    const steps = result.messages.filter((message) => message.kind === 'step');
    expect(steps[2]?.tool_calls).toEqual(tools?.tool_calls);
  });

  it('prices gpt-4o-mini from the price table (0.15 in, 0.6 out per million tokens), dated snapshots included', async () => {
    const s = await server();
    s.enqueue(
      { kind: 'message', content: 'a', usage: { prompt_tokens: 1000, completion_tokens: 500 } },
      { kind: 'message', content: 'b', model: 'gpt-4o-mini-2024-07-18', usage: { prompt_tokens: 2000, completion_tokens: 100 } },
    );
    const result = await invoke(callingBot('priced-bot', simple, simple), { mode: 'live', env: envFor(s) });
    const [first, second] = outputsOf(result);
    expect(second?.model).toBe('gpt-4o-mini-2024-07-18');

    const cost = (input: number, output: number) => (input * 0.15 + output * 0.6) / 1_000_000;
    const costs = result.events.flatMap((event) => (event.type === 'action.completed' ? [event.cost_usd] : []));
    expect(costs[0]).toBeCloseTo(cost(1000, 500), 12);
    expect(costs[1]).toBeCloseTo(cost(2000, 100), 12);
    expect(result.costUsd).toBeCloseTo(cost(3000, 600), 12);
    expect(result.usage).toEqual({ inputTokens: 3000, outputTokens: 600 });
    expect(first?.usage).toEqual({ input_tokens: 1000, output_tokens: 500 });
    expect(warnings(result.events)).toEqual([]);
  });

  it('counts an unknown model as $0 and warns once, however often it is called', async () => {
    const s = await server();
    const local: LlmMessageParams = { model: 'my-local-llama', messages: [{ role: 'user', content: 'hi' }] };
    s.reply(() => ({ kind: 'message', content: 'hey', usage: { prompt_tokens: 100, completion_tokens: 100 } }));
    const result = await invoke(callingBot('unknown-model-bot', local, local), { mode: 'live', env: envFor(s) });
    outputsOf(result);
    expect(result.costUsd).toBe(0);
    expect(result.usage).toEqual({ inputTokens: 200, outputTokens: 200 });
    const warned = warnings(result.events);
    expect(warned).toHaveLength(1);
    expect(warned[0]).toContain('my-local-llama');
    expect(s.requests).toHaveLength(2);
  });
});

describe('openai-chat: failures', () => {
  function failureOf(result: InvokeResult) {
    expect(result.success).toBe(false);
    expect(result.status).toBe('failed');
    expect(result.error).toBeDefined();
    return result.error!;
  }

  it('a 401 is PROVIDER_ERROR with the status, the provider message and a hint naming OPENAI_API_KEY', async () => {
    const s = await server({ apiKey: 'sk-the-right-key-0000' });
    const wrongKey = 'sk-wrong-key-98765';
    const result = await invoke(callingBot('unauthorised-bot', simple), { mode: 'live', env: envFor(s, wrongKey) });
    const error = failureOf(result);
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('401');
    expect(error.message).toContain('Incorrect API key provided');
    expect(error.hint).toContain('OPENAI_API_KEY');
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]?.headers.authorization).toBe(`Bearer ${wrongKey}`);
    // The failed action is reported too, and nothing leaks the key.
    const completed = result.events.find((event) => event.type === 'action.completed');
    expect(completed).toMatchObject({ status: 'error', source: 'live', error: { code: 'PROVIDER_ERROR' } });
    expect(JSON.stringify(result)).not.toContain(wrongKey);
    expect(result.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
    expect(result.costUsd).toBe(0);
  });

  it("a 400 carries the provider's own message", async () => {
    const s = await server();
    s.reply(() => ({ kind: 'error', status: 400, message: "Invalid value for 'temperature': must be at most 2.", code: 'invalid_value' }));
    const error = failureOf(await invoke(callingBot('bad-request-bot', { ...simple, temperature: 7 }), { mode: 'live', env: envFor(s) }));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('400');
    expect(error.message).toContain("Invalid value for 'temperature': must be at most 2.");
  });

  it('a 500 names the status', async () => {
    const s = await server();
    s.reply(() => ({ kind: 'error', status: 500, message: 'The server had an error while processing your request.', headers: { 'retry-after': '0' } }));
    const error = failureOf(await invoke(callingBot('server-error-bot', simple), { mode: 'live', env: envFor(s) }));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toContain('500');
    expect(error.message).toContain('The server had an error');
  });

  it('a 200 whose body is not JSON is a clear error', async () => {
    const s = await server();
    s.reply(() => ({ kind: 'raw', status: 200, headers: { 'content-type': 'text/html' }, body: '<html><body>Bad gateway</body></html>' }));
    const error = failureOf(await invoke(callingBot('not-json-bot', simple), { mode: 'live', env: envFor(s) }));
    expect(error.code).toBe('PROVIDER_ERROR');
    expect(error.message).toMatch(/not JSON/i);
    expect(error.message).toContain('<html>');
  });

  it('a closed port is PROVIDER_UNREACHABLE naming the URL', async () => {
    const s = await startOpenAIServer();
    const url = s.url;
    await s.close();
    const error = failureOf(await invoke(callingBot('unreachable-bot', simple), { mode: 'live', env: envFor({ url }) }));
    expect(error.code).toBe('PROVIDER_UNREACHABLE');
    expect(error.message).toContain(`${url}/chat/completions`);
    expect(error.hint).toContain('OPENAI_BASE_URL');
  });

  it('no OPENAI_API_KEY and no OPENAI_BASE_URL is API_KEY_MISSING, before any request', async () => {
    const error = failureOf(await invoke(callingBot('keyless-bot', simple), { mode: 'live', env: suiteState() }));
    expect(error.code).toBe('API_KEY_MISSING');
    expect(error.message).toContain('OPENAI_API_KEY');
    expect(error.hint).toContain('OPENAI_API_KEY');
    expect(guard.calls).toEqual([]);
  });

  it('an empty OPENAI_API_KEY counts as missing', async () => {
    const error = failureOf(await invoke(callingBot('empty-key-bot', simple), { mode: 'live', env: { ...suiteState(), OPENAI_API_KEY: '' } }));
    expect(error.code).toBe('API_KEY_MISSING');
    expect(guard.calls).toEqual([]);
  });
});

describe('openai-chat: replay mode never records a failure', () => {
  function rowCount(cachePath: string): number {
    if (!existsSync(cachePath)) return 0;
    const db = new Database(cachePath, { readonly: true, fileMustExist: true });
    try {
      const table = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'entries'").get();
      return table ? (db.prepare('SELECT count(*) AS n FROM entries').get() as { n: number }).n : 0;
    } finally {
      db.close();
    }
  }

  it('a 4xx and a 5xx leave the cache empty, and the next run asks the provider again', async () => {
    const s = await server();
    const cachePath = tempCachePath();
    const bot = callingBot('uncached-errors-bot', simple);
    const options = { mode: 'replay' as const, cachePath, env: envFor(s) };

    const errors: ChatReply[] = [
      { kind: 'error', status: 400, message: 'Bad request, do not cache me.' },
      { kind: 'error', status: 503, message: 'Overloaded, do not cache me.', headers: { 'retry-after': '0' } },
    ];
    for (const [index, reply] of errors.entries()) {
      s.reply(() => reply);
      const result = await invoke(bot, options);
      expect(result.success).toBe(false);
      expect(result.error?.code).toBe('PROVIDER_ERROR');
      expect(result.cache.recorded).toBe(0);
      expect(rowCount(cachePath)).toBe(0);
      expect(s.requests.length).toBeGreaterThanOrEqual(index + 1);
    }

    // The provider is back: the miss is asked live again, and only now recorded.
    const before = s.requests.length;
    s.reply(() => ({ kind: 'message', content: 'fine now' }));
    const recorded = await invoke(bot, options);
    expect(outputsOf(recorded)[0]?.content).toBe('fine now');
    expect(s.requests.length).toBe(before + 1);
    expect(recorded.cache).toMatchObject({ recorded: 1, hits: 0 });
    expect(rowCount(cachePath)).toBe(1);

    // And then it replays without the provider.
    const replayed = await invoke(bot, { ...options, strict: true });
    expect(outputsOf(replayed)[0]?.content).toBe('fine now');
    expect(replayed.cache.hits).toBe(1);
    expect(s.requests.length).toBe(before + 1);
  });
});

describe('openai-chat: connections', () => {
  /** A TCP pass-through in front of the fake server that counts the connections clients open. */
  async function countingProxy(target: FakeOpenAIServer): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
    const upstream = new URL(target.url);
    const sockets = new Set<Socket>();
    let connections = 0;
    const proxy: Server = createServer((client) => {
      connections += 1;
      const backend = connect(Number(upstream.port), '127.0.0.1');
      for (const socket of [client, backend]) {
        sockets.add(socket);
        socket.once('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(backend).pipe(client);
      client.once('close', () => backend.destroy());
      backend.once('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}/v1`,
      connections: () => connections,
      close: () =>
        new Promise<void>((resolve) => {
          proxy.close(() => resolve());
          for (const socket of sockets) socket.destroy();
        }),
    };
  }

  it('a bot that makes 20 calls reuses its connection (keep-alive)', async () => {
    const s = await server();
    const proxy = await countingProxy(s);
    try {
      const calls = Array.from({ length: 20 }, (_, index): LlmMessageParams => ({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: `call ${index}` }],
      }));
      const result = await invoke(callingBot('chatty-bot', ...calls), { mode: 'live', env: envFor(proxy) });
      expect(outputsOf(result).map((output) => output.content)).toEqual(calls.map((_, index) => `echo: call ${index}`));
      expect(s.requests).toHaveLength(20);
      expect(proxy.connections()).toBeGreaterThanOrEqual(1);
      expect(proxy.connections()).toBeLessThanOrEqual(2);
    } finally {
      await proxy.close();
    }
  });
});
