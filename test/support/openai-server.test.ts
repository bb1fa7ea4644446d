import { describe, it, expect } from 'vitest';
import { startOpenAIServer, type ChatReply, type FakeOpenAIServer } from './openai-server.js';

/** Runs `fn` against a fresh server and always closes it. */
async function withServer(
  fn: (server: FakeOpenAIServer) => Promise<void>,
  options?: Parameters<typeof startOpenAIServer>[0],
): Promise<void> {
  const server = await startOpenAIServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

function post(server: FakeOpenAIServer, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${server.url}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer sk-test', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface Chunk {
  id: string;
  object: string;
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: string;
      content?: string | null;
      tool_calls?: Array<{ index: number; id?: string; type?: string; function: { name?: string; arguments: string } }>;
    };
    logprobs: null;
    finish_reason: string | null;
  }>;
  usage?: { prompt_tokens: number; completion_tokens: number; total_tokens: number } | null;
}

/** Splits an SSE body into its `data:` payloads, checking the framing on the way. */
function sseEvents(text: string): string[] {
  expect(text.endsWith('\n\n')).toBe(true);
  const events = text.slice(0, -2).split('\n\n');
  for (const event of events) expect(event).toMatch(/^data: [^\n]+$/); // one data line, no event: lines
  return events.map((event) => event.slice('data: '.length));
}

async function readStream(response: Response): Promise<{ chunks: Chunk[]; done: boolean }> {
  const payloads = sseEvents(await response.text());
  const done = payloads.at(-1) === '[DONE]';
  const chunks = payloads.filter((p) => p !== '[DONE]').map((p) => JSON.parse(p) as Chunk);
  return { chunks, done };
}

/** Accumulates streamed deltas the way an SDK client would. */
function accumulate(chunks: Chunk[]): { content: string; toolCalls: Array<{ id: string; name: string; arguments: string }> } {
  let content = '';
  const toolCalls: Array<{ id: string; name: string; arguments: string }> = [];
  for (const chunk of chunks) {
    for (const choice of chunk.choices) {
      content += choice.delta.content ?? '';
      for (const call of choice.delta.tool_calls ?? []) {
        const entry = (toolCalls[call.index] ??= { id: '', name: '', arguments: '' });
        if (call.id) entry.id = call.id;
        if (call.function.name) entry.name = call.function.name;
        entry.arguments += call.function.arguments;
      }
    }
  }
  return { content, toolCalls };
}

const messages = [
  { role: 'system', content: 'You are terse.' }, // 14 chars
  { role: 'user', content: 'What is the capital of France?' }, // 30 chars
];

describe('fake OpenAI server', () => {
  it('listens on 127.0.0.1 with a /v1 base URL', async () => {
    await withServer(async (server) => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    });
  });

  it('answers a non-streaming request with a full chat.completion object', async () => {
    await withServer(async (server) => {
      const response = await post(server, { model: 'gpt-4o-mini', messages });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      const body: unknown = await response.json();
      const content = 'echo: What is the capital of France?';
      expect(body).toEqual({
        id: 'chatcmpl-fake000001',
        object: 'chat.completion',
        created: 1700000000,
        model: 'gpt-4o-mini',
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: Math.ceil(44 / 4), completion_tokens: Math.ceil(content.length / 4), total_tokens: 11 + 9 },
      });
      // Key order matches OpenAI's documented answer.
      expect(Object.keys(body as object)).toEqual(['id', 'object', 'created', 'model', 'choices', 'usage']);

      // Deterministic: the second answer differs only by the counter in the id.
      const second = (await (await post(server, { model: 'gpt-4o-mini', messages })).json()) as { id: string };
      expect(second.id).toBe('chatcmpl-fake000002');

      expect(server.requests).toHaveLength(2);
      const [first] = server.requests;
      expect(first?.method).toBe('POST');
      expect(first?.path).toBe('/v1/chat/completions');
      expect(first?.headers.authorization).toBe('Bearer sk-test');
      expect(first?.body).toEqual({ model: 'gpt-4o-mini', messages });
      expect(first?.rawBody).toBe(JSON.stringify({ model: 'gpt-4o-mini', messages }));
    });
  });

  it('echoes array content parts and honours reply model and usage', async () => {
    await withServer(async (server) => {
      const parts = [{ role: 'user', content: [{ type: 'text', text: 'hello ' }, { type: 'image_url', image_url: { url: 'x' } }, { type: 'text', text: 'world' }] }];
      const echoed = (await (await post(server, { model: 'm', messages: parts })).json()) as {
        choices: Array<{ message: { content: string } }>;
      };
      expect(echoed.choices[0]?.message.content).toBe('echo: hello world');

      server.reply(() => ({ kind: 'message', content: 'hi', model: 'gpt-4o-2024-08-06', usage: { prompt_tokens: 9, completion_tokens: 12 } }));
      const body = (await (await post(server, { model: 'gpt-4o', messages })).json()) as { model: string; usage: unknown };
      expect(body.model).toBe('gpt-4o-2024-08-06');
      expect(body.usage).toEqual({ prompt_tokens: 9, completion_tokens: 12, total_tokens: 21 });
    });
  });

  it('streams chat.completion.chunk events that add up to the same content and usage', async () => {
    await withServer(async (server) => {
      const request = { model: 'gpt-4o-mini', messages, stream: true, stream_options: { include_usage: true } };
      const response = await post(server, request);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const { chunks, done } = await readStream(response);
      expect(done).toBe(true);

      for (const chunk of chunks) {
        expect(chunk).toMatchObject({ id: 'chatcmpl-fake000001', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini' });
      }
      expect(chunks[0]?.choices).toEqual([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
      const contentChunks = chunks.filter((c) => typeof c.choices[0]?.delta.content === 'string' && c.choices[0].delta.content !== '');
      expect(contentChunks.length).toBeGreaterThan(3); // split into several pieces

      const finish = chunks.at(-2);
      expect(finish?.choices).toEqual([{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }]);
      const usageChunk = chunks.at(-1);
      expect(usageChunk?.choices).toEqual([]);
      // Same numbers as the non-streaming answer to the same request.
      expect(usageChunk?.usage).toEqual({ prompt_tokens: 11, completion_tokens: 9, total_tokens: 20 });
      // With include_usage, the other chunks carry usage: null (as OpenAI documents).
      expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);

      expect(accumulate(chunks).content).toBe('echo: What is the capital of France?');
    });
  });

  it('sends no usage chunk unless include_usage is set', async () => {
    await withServer(async (server) => {
      const { chunks, done } = await readStream(await post(server, { model: 'gpt-4o-mini', messages, stream: true }));
      expect(done).toBe(true);
      expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
      expect(chunks.every((c) => !('usage' in c))).toBe(true);
      expect(accumulate(chunks).content).toBe('echo: What is the capital of France?');
    });
  });

  const toolReply: ChatReply = {
    kind: 'message',
    toolCalls: [
      { id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
      { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
    ],
  };

  it('answers tool calls without streaming', async () => {
    await withServer(async (server) => {
      server.reply(() => toolReply);
      const body = (await (await post(server, { model: 'gpt-4o-mini', messages })).json()) as {
        choices: Array<{ message: unknown; finish_reason: string }>;
      };
      expect(body.choices[0]?.finish_reason).toBe('tool_calls');
      expect(body.choices[0]?.message).toEqual({
        role: 'assistant',
        content: null,
        refusal: null,
        tool_calls: [
          { id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' } },
          { id: 'call_fake000001_1', type: 'function', function: { name: 'get_time', arguments: '{"tz":"Europe/Paris"}' } },
        ],
      });
    });
  });

  it('streams tool calls as a header delta followed by argument pieces', async () => {
    await withServer(async (server) => {
      server.reply(() => toolReply);
      const { chunks, done } = await readStream(await post(server, { model: 'gpt-4o-mini', messages, stream: true }));
      expect(done).toBe(true);
      expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: null });
      expect(chunks[1]?.choices[0]?.delta).toEqual({
        tool_calls: [{ index: 0, id: 'call_abc', type: 'function', function: { name: 'get_weather', arguments: '' } }],
      });
      expect(chunks[2]?.choices[0]?.delta).toEqual({ tool_calls: [{ index: 0, function: { arguments: '{"city":' } }] });
      expect(chunks.at(-1)?.choices[0]).toEqual({ index: 0, delta: {}, logprobs: null, finish_reason: 'tool_calls' });

      const { content, toolCalls } = accumulate(chunks);
      expect(content).toBe('');
      expect(toolCalls).toEqual([
        { id: 'call_abc', name: 'get_weather', arguments: '{"city":"Paris","unit":"celsius"}' },
        { id: 'call_fake000001_1', name: 'get_time', arguments: '{"tz":"Europe/Paris"}' },
      ]);
    });
  });

  it('rejects a wrong or missing API key with OpenAI\'s 401', async () => {
    await withServer(
      async (server) => {
        const wrong = await post(server, { model: 'gpt-4o-mini', messages }, { authorization: 'Bearer sk-wrong-key-1234' });
        expect(wrong.status).toBe(401);
        expect(wrong.headers.get('content-type')).toBe('application/json');
        const body = (await wrong.json()) as { error: { message: string } };
        expect(body).toEqual({
          error: { message: expect.stringMatching(/^Incorrect API key provided: sk-\*+1234\./), type: 'invalid_request_error', param: null, code: 'invalid_api_key' },
        });
        expect(body.error.message).not.toContain('wrong-key');

        const missing = await fetch(`${server.url}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: 'm', messages }) });
        expect(missing.status).toBe(401);

        const right = await post(server, { model: 'gpt-4o-mini', messages }, { authorization: 'Bearer sk-right' });
        expect(right.status).toBe(200);
        expect(server.requests).toHaveLength(3); // rejected requests are recorded too
      },
      { apiKey: 'sk-right' },
    );
  });

  it('answers unknown routes with a 404 error body and records them', async () => {
    await withServer(async (server) => {
      const response = await fetch(`${server.url}/models`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({
        error: { message: 'Invalid URL (GET /v1/models)', type: 'invalid_request_error', param: null, code: null },
      });
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    });
  });

  it('serves error replies with status, headers and OpenAI\'s error body', async () => {
    await withServer(async (server) => {
      server.enqueue(
        { kind: 'error', status: 429, message: 'Rate limit reached', code: 'rate_limit_exceeded', type: 'requests', headers: { 'retry-after': '2', 'x-ratelimit-remaining-requests': '0' } },
        { kind: 'error', status: 503, message: 'The server is overloaded' },
      );
      const limited = await post(server, { model: 'gpt-4o-mini', messages });
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
      expect(await limited.text()).toBe(
        '{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}',
      );

      const overloaded = await post(server, { model: 'gpt-4o-mini', messages });
      expect(overloaded.status).toBe(503);
      expect(await overloaded.json()).toEqual({ error: { message: 'The server is overloaded', type: 'server_error', param: null, code: null } });
    });
  });

  it('serves enqueued replies in order before falling back to the handler', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'message', content: 'first' }, { kind: 'raw', status: 200, headers: { 'content-type': 'text/plain' }, body: 'not json' });
      server.enqueue({ kind: 'message', content: 'third' });
      const first = (await (await post(server, { model: 'm', messages })).json()) as { choices: Array<{ message: { content: string } }> };
      const second = await post(server, { model: 'm', messages });
      const third = (await (await post(server, { model: 'm', messages })).json()) as { choices: Array<{ message: { content: string } }> };
      const fourth = (await (await post(server, { model: 'm', messages })).json()) as { choices: Array<{ message: { content: string } }> };
      expect(first.choices[0]?.message.content).toBe('first');
      expect(second.headers.get('content-type')).toBe('text/plain');
      expect(await second.text()).toBe('not json');
      expect(third.choices[0]?.message.content).toBe('third');
      expect(fourth.choices[0]?.message.content).toBe('echo: What is the capital of France?');
    });
  });

  it('answers a non-JSON body with a 400 from the default handler', async () => {
    await withServer(async (server) => {
      const response = await post(server, '{not json');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { type: string; code: null } };
      expect(body.error.type).toBe('invalid_request_error');
      expect(server.requests[0]?.body).toBeUndefined();
      expect(server.requests[0]?.rawBody).toBe('{not json');
    });
  });

  it('turns a throwing handler into a 500 server_error', async () => {
    await withServer(async (server) => {
      server.reply(() => {
        throw new Error('boom');
      });
      const response = await post(server, { model: 'm', messages });
      expect(response.status).toBe(500);
      expect(await response.json()).toEqual({ error: { message: 'Fake OpenAI handler failed: boom', type: 'server_error', param: null, code: null } });
    });
  });

  it('delays a reply by delayMs', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'message', content: 'late', delayMs: 150 });
      const started = Date.now();
      const response = await post(server, { model: 'm', messages });
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('reset drops the connection without an answer: fetch rejects, and the next request is answered', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'reset' });
      await expect(post(server, { model: 'm', messages })).rejects.toThrow();
      expect(server.requests).toHaveLength(1);
      const next = await post(server, { model: 'm', messages });
      expect(next.status).toBe(200);
    });
  });

  it('cut on a stream delivers the first chunks, then reading the body fails', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterChunks: 3 });
      const response = await post(server, { model: 'gpt-4o-mini', messages, stream: true });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let received = '';
      const failure = await (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return undefined;
          received += decoder.decode(value, { stream: true });
        }
      })().catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(Error); // not a clean end of stream
      const chunks = sseEvents(received).map((payload) => JSON.parse(payload) as Chunk);
      expect(chunks).toHaveLength(3); // the role chunk and two content pieces, no finish chunk, no [DONE]
      expect(chunks[0]?.choices[0]?.delta).toEqual({ role: 'assistant', content: '' });
      expect(accumulate(chunks).content).toBe('The capital ');
      expect(chunks[0]?.id).toBe('chatcmpl-fake000001');
    });
  });

  it('cut on a non-streaming request sends the headers and half the JSON, then reading the body fails', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterChunks: 0 });
      const response = await post(server, { model: 'gpt-4o-mini', messages });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      await expect(response.text()).rejects.toThrow();
      // The server stays usable, and the cut answer used a completion id.
      const next = (await (await post(server, { model: 'm', messages })).json()) as { id: string };
      expect(next.id).toBe('chatcmpl-fake000002');
    });
  });

  it('close() finishes while a hung request is open, and the client sees the connection drop', async () => {
    const server = await startOpenAIServer({ handler: () => ({ kind: 'hang' }) });
    const pending = post(server, { model: 'm', messages }).then(
      () => 'answered',
      () => 'failed',
    );
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));

    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBe('failed');
    await server.close(); // idempotent
  });

  it('close() does not wait for a delayed reply', async () => {
    const server = await startOpenAIServer({ handler: () => ({ kind: 'message', content: 'x', delayMs: 60_000 }) });
    const pending = post(server, { model: 'm', messages }).catch(() => 'failed');
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBe('failed');
  });
});
