import { describe, it, expect } from 'vitest';
import { startAnthropicServer, type MessagesReply, type FakeAnthropicServer } from './anthropic-server.js';

/** Runs `fn` against a fresh server and always closes it. */
async function withServer(
  fn: (server: FakeAnthropicServer) => Promise<void>,
  options?: Parameters<typeof startAnthropicServer>[0],
): Promise<void> {
  const server = await startAnthropicServer(options);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

const baseHeaders = { 'content-type': 'application/json', 'x-api-key': 'sk-ant-test', 'anthropic-version': '2023-06-01' };

function post(server: FakeAnthropicServer, body: unknown, headers: Record<string, string | undefined> = {}): Promise<Response> {
  const merged = Object.fromEntries(Object.entries({ ...baseHeaders, ...headers }).filter(([, v]) => v !== undefined)) as Record<string, string>;
  return fetch(`${server.url}/v1/messages`, {
    method: 'POST',
    headers: merged,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

interface SseEvent {
  event: string;
  data: any;
}

/** Splits an SSE body into `{event, data}` pairs, checking the framing (one event line, one data line). */
function sseEvents(text: string): SseEvent[] {
  expect(text.endsWith('\n\n')).toBe(true);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      const match = /^event: ([a-z_]+)\ndata: ([^\n]+)$/.exec(block);
      expect(match, block).not.toBeNull();
      const data: any = JSON.parse(match![2]!);
      expect(data.type).toBe(match![1]); // the event name repeats the payload type
      return { event: match![1]!, data };
    });
}

/** Rebuilds the message from stream events the way a client would. */
function accumulate(events: SseEvent[]): any {
  let message: any;
  const json: string[] = [];
  for (const { data } of events) {
    switch (data.type) {
      case 'message_start':
        message = structuredClone(data.message);
        break;
      case 'content_block_start':
        message.content[data.index] = structuredClone(data.content_block);
        json[data.index] = '';
        break;
      case 'content_block_delta':
        if (data.delta.type === 'text_delta') message.content[data.index].text += data.delta.text;
        else json[data.index] += data.delta.partial_json;
        break;
      case 'content_block_stop':
        if (message.content[data.index].type === 'tool_use') message.content[data.index].input = JSON.parse(json[data.index]!);
        break;
      case 'message_delta':
        message.stop_reason = data.delta.stop_reason;
        message.stop_sequence = data.delta.stop_sequence;
        message.usage.output_tokens = data.usage.output_tokens;
        break;
    }
  }
  return message;
}

const system = 'You are terse.'; // 14 chars
const messages = [{ role: 'user', content: 'What is the capital of France?' }]; // 30 chars
const request = { model: 'claude-sonnet-4-6', max_tokens: 1024, system, messages };
const echo = 'echo: What is the capital of France?';

const toolReply: MessagesReply = {
  kind: 'message',
  content: 'Let me check.',
  toolUses: [
    { id: 'toolu_abc', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
    { name: 'get_time', input: { tz: 'Europe/Paris' } },
  ],
};

describe('fake Anthropic server', () => {
  it('listens on 127.0.0.1 with a base URL without /v1', async () => {
    await withServer(async (server) => {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });
  });

  it('answers a non-streaming request with a full message object', async () => {
    await withServer(async (server) => {
      const response = await post(server, request);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      expect(response.headers.get('request-id')).toBe('req_fake000001');
      const body: unknown = await response.json();
      expect(body).toEqual({
        id: 'msg_fake000001',
        type: 'message',
        role: 'assistant',
        model: 'claude-sonnet-4-6',
        content: [{ type: 'text', text: echo }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: Math.ceil(44 / 4), output_tokens: Math.ceil(echo.length / 4) },
      });
      // Key order matches the documented answer.
      expect(Object.keys(body as object)).toEqual(['id', 'type', 'role', 'model', 'content', 'stop_reason', 'stop_sequence', 'usage']);

      const second = (await (await post(server, request)).json()) as { id: string };
      expect(second.id).toBe('msg_fake000002');

      expect(server.requests).toHaveLength(2);
      const [first] = server.requests;
      expect(first?.method).toBe('POST');
      expect(first?.path).toBe('/v1/messages');
      expect(first?.headers['x-api-key']).toBe('sk-ant-test');
      expect(first?.headers['anthropic-version']).toBe('2023-06-01');
      expect(first?.body).toEqual(request);
      expect(first?.rawBody).toBe(JSON.stringify(request));
    });
  });

  it('echoes text blocks of array content and honours reply model, usage and stop reason', async () => {
    await withServer(async (server) => {
      const blocks = [{ role: 'user', content: [{ type: 'text', text: 'hello ' }, { type: 'image', source: {} }, { type: 'text', text: 'world' }] }];
      const echoed = (await (await post(server, { ...request, messages: blocks })).json()) as { content: Array<{ text: string }> };
      expect(echoed.content).toEqual([{ type: 'text', text: 'echo: hello world' }]);

      server.reply(() => ({ kind: 'message', content: 'Pa', model: 'claude-opus-4-1', usage: { input_tokens: 9, output_tokens: 1 }, stopReason: 'max_tokens' }));
      const body = (await (await post(server, request)).json()) as { model: string; usage: unknown; stop_reason: string };
      expect(body.model).toBe('claude-opus-4-1');
      expect(body.usage).toEqual({ input_tokens: 9, output_tokens: 1 });
      expect(body.stop_reason).toBe('max_tokens');
    });
  });

  it('streams the documented event sequence, and the deltas add up to the same content and usage', async () => {
    await withServer(async (server) => {
      const plain: any = await (await post(server, request)).json();
      const response = await post(server, { ...request, stream: true });
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(response.headers.get('request-id')).toBe('req_fake000002');
      const events = sseEvents(await response.text());

      const names = events.map((e) => e.event);
      const deltas = events.filter((e) => e.event === 'content_block_delta');
      expect(deltas.length).toBeGreaterThan(3); // split into several word pieces
      expect(names).toEqual([
        'message_start',
        'content_block_start',
        'ping',
        ...deltas.map(() => 'content_block_delta'),
        'content_block_stop',
        'message_delta',
        'message_stop',
      ]);
      expect(events[0]?.data).toEqual({
        type: 'message_start',
        message: {
          id: 'msg_fake000002',
          type: 'message',
          role: 'assistant',
          content: [],
          model: 'claude-sonnet-4-6',
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 11, output_tokens: 1 },
        },
      });
      expect(events[1]?.data).toEqual({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      expect(events[2]?.data).toEqual({ type: 'ping' });
      expect(deltas[0]?.data).toEqual({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'echo: ' } });
      expect(events.at(-3)?.data).toEqual({ type: 'content_block_stop', index: 0 });
      expect(events.at(-2)?.data).toEqual({
        type: 'message_delta',
        delta: { stop_reason: 'end_turn', stop_sequence: null },
        usage: { output_tokens: plain.usage.output_tokens },
      });
      expect(events.at(-1)?.data).toEqual({ type: 'message_stop' });

      const rebuilt = accumulate(events);
      expect(deltas.map((e) => e.data.delta.text).join('')).toBe(echo);
      expect({ ...rebuilt, id: plain.id }).toEqual(plain); // same content, stop reason and usage
    });
  });

  it('answers tool uses without streaming', async () => {
    await withServer(async (server) => {
      server.reply(() => toolReply);
      const body = (await (await post(server, request)).json()) as { content: unknown; stop_reason: string; usage: { output_tokens: number } };
      expect(body.stop_reason).toBe('tool_use');
      expect(body.content).toEqual([
        { type: 'text', text: 'Let me check.' },
        { type: 'tool_use', id: 'toolu_abc', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
        { type: 'tool_use', id: 'toolu_fake000001_1', name: 'get_time', input: { tz: 'Europe/Paris' } },
      ]);

      server.reply(() => ({ kind: 'message', toolUses: [{ name: 'get_time', input: {} }] }));
      const toolOnly = (await (await post(server, request)).json()) as { content: unknown };
      expect(toolOnly.content).toEqual([{ type: 'tool_use', id: 'toolu_fake000002_0', name: 'get_time', input: {} }]);
    });
  });

  it('streams tool uses as content_block_start plus input_json_delta pieces', async () => {
    await withServer(async (server) => {
      server.reply(() => toolReply);
      const plain: any = await (await post(server, request)).json();
      const events = sseEvents(await (await post(server, { ...request, stream: true })).text());

      const starts = events.filter((e) => e.event === 'content_block_start').map((e) => e.data);
      expect(starts).toEqual([
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'toolu_abc', name: 'get_weather', input: {} } },
        { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_fake000002_1', name: 'get_time', input: {} } },
      ]);
      const inputDeltas = events.filter((e) => e.data.delta?.type === 'input_json_delta' && e.data.index === 1).map((e) => e.data.delta.partial_json);
      expect(inputDeltas[0]).toBe('');
      expect(inputDeltas.length).toBeGreaterThan(3);
      expect(inputDeltas.join('')).toBe('{"city":"Paris","unit":"celsius"}');
      expect(events.filter((e) => e.event === 'content_block_stop').map((e) => e.data.index)).toEqual([0, 1, 2]);
      expect(events.filter((e) => e.event === 'ping')).toHaveLength(1);
      expect(events.at(-2)?.data.delta.stop_reason).toBe('tool_use');

      const rebuilt = accumulate(events);
      // Ids of generated tool uses follow the message counter; everything else matches the plain answer.
      expect(rebuilt.content.map((b: any) => ({ ...b, id: undefined }))).toEqual(plain.content.map((b: any) => ({ ...b, id: undefined })));
      expect(rebuilt.usage).toEqual(plain.usage);
      expect(rebuilt.stop_reason).toBe('tool_use');
    });
  });

  it("rejects a wrong or missing x-api-key with Anthropic's 401", async () => {
    await withServer(
      async (server) => {
        const wrong = await post(server, request, { 'x-api-key': 'sk-ant-wrong' });
        expect(wrong.status).toBe(401);
        expect(wrong.headers.get('content-type')).toBe('application/json');
        expect(await wrong.text()).toBe(
          '{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"},"request_id":"req_fake000001"}',
        );

        const missing = await post(server, request, { 'x-api-key': undefined });
        expect(missing.status).toBe(401);
        expect(await missing.json()).toEqual({
          type: 'error',
          error: { type: 'authentication_error', message: 'x-api-key header is required' },
          request_id: 'req_fake000002',
        });

        const right = await post(server, request, { 'x-api-key': 'sk-ant-right' });
        expect(right.status).toBe(200);
        expect(((await right.json()) as { id: string }).id).toBe('msg_fake000001'); // rejections use no message ids

        // The key may also come as a bearer token (what @anthropic-ai/sdk 1.x sends); x-api-key wins over it.
        const bearer = await post(server, request, { 'x-api-key': undefined, authorization: 'Bearer sk-ant-right' });
        expect(bearer.status).toBe(200);
        const wrongBearer = await post(server, request, { 'x-api-key': undefined, authorization: 'Bearer sk-ant-wrong' });
        expect(wrongBearer.status).toBe(401);
        const both = await post(server, request, { 'x-api-key': 'sk-ant-wrong', authorization: 'Bearer sk-ant-right' });
        expect(both.status).toBe(401);

        expect(server.requests).toHaveLength(6); // rejected requests are recorded too
      },
      { apiKey: 'sk-ant-right' },
    );
  });

  it('requires a known anthropic-version header (400)', async () => {
    await withServer(async (server) => {
      const missing = await post(server, request, { 'anthropic-version': undefined });
      expect(missing.status).toBe(400);
      expect(await missing.json()).toEqual({
        type: 'error',
        error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' },
        request_id: 'req_fake000001',
      });

      const unknown = await post(server, request, { 'anthropic-version': '2024-10-22' });
      expect(unknown.status).toBe(400);
      expect(((await unknown.json()) as { error: { message: string } }).error.message).toBe('anthropic-version: "2024-10-22" is not a valid version');

      for (const version of ['2023-01-01', '2026-10-21']) {
        expect((await post(server, request, { 'anthropic-version': version })).status).toBe(200);
      }
    });
  });

  it('rejects temperature, top_p and top_k under API version 2026-10-21 only', async () => {
    await withServer(async (server) => {
      for (const field of ['temperature', 'top_p', 'top_k']) {
        const rejected = await post(server, { ...request, [field]: 1 }, { 'anthropic-version': '2026-10-21' });
        expect(rejected.status).toBe(400);
        expect(((await rejected.json()) as { error: unknown }).error).toEqual({
          type: 'invalid_request_error',
          message: `${field}: Extra inputs are not permitted`,
        });
        expect((await post(server, { ...request, [field]: 1 }, { 'anthropic-version': '2023-06-01' })).status).toBe(200);
      }
    });
  });

  it('answers a body without max_tokens, messages or model, or not JSON at all, with a 400 before any enqueued reply', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'message', content: 'kept for the valid request' });
      const errorOf = async (body: unknown): Promise<{ status: number; error: { type: string; message: string } }> => {
        const response = await post(server, body);
        return { status: response.status, error: ((await response.json()) as { error: { type: string; message: string } }).error };
      };

      const { max_tokens: _maxTokens, ...noMaxTokens } = request;
      expect(await errorOf(noMaxTokens)).toEqual({ status: 400, error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } });
      const { messages: _messages, ...noMessages } = request;
      expect(await errorOf(noMessages)).toEqual({ status: 400, error: { type: 'invalid_request_error', message: 'messages: Field required' } });
      const { model: _model, ...noModel } = request;
      expect(await errorOf(noModel)).toEqual({ status: 400, error: { type: 'invalid_request_error', message: 'model: Field required' } });
      const notJson = await errorOf('{not json');
      expect(notJson.status).toBe(400);
      expect(notJson.error.message).toMatch(/^The request body is not valid JSON: /);
      expect(server.requests.at(-1)?.body).toBeUndefined();
      expect(server.requests.at(-1)?.rawBody).toBe('{not json');

      const ok = (await (await post(server, request)).json()) as { content: Array<{ text: string }> };
      expect(ok.content[0]?.text).toBe('kept for the valid request');
    });
  });

  it('answers unknown routes with a 404 not_found_error and records them', async () => {
    await withServer(async (server) => {
      const response = await fetch(`${server.url}/v1/models`);
      expect(response.status).toBe(404);
      expect(await response.json()).toEqual({ type: 'error', error: { type: 'not_found_error', message: 'Not Found' }, request_id: 'req_fake000001' });
      expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/models']);
    });
  });

  it("serves error replies with status, headers and Anthropic's error body (429 with retry-after, 529)", async () => {
    await withServer(async (server) => {
      server.enqueue(
        {
          kind: 'error',
          status: 429,
          type: 'rate_limit_error',
          message: 'Number of request tokens has exceeded your per-minute rate limit',
          headers: { 'retry-after': '2', 'anthropic-ratelimit-requests-remaining': '0' },
        },
        { kind: 'error', status: 529, type: 'overloaded_error', message: 'Overloaded' },
      );
      const limited = await post(server, request);
      expect(limited.status).toBe(429);
      expect(limited.headers.get('retry-after')).toBe('2');
      expect(limited.headers.get('anthropic-ratelimit-requests-remaining')).toBe('0');
      expect(limited.headers.get('request-id')).toBe('req_fake000001');
      expect(await limited.text()).toBe(
        '{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"},"request_id":"req_fake000001"}',
      );

      const overloaded = await post(server, request);
      expect(overloaded.status).toBe(529);
      expect(await overloaded.json()).toEqual({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' }, request_id: 'req_fake000002' });
    });
  });

  it('serves enqueued replies in order before falling back to the handler', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'message', content: 'first' }, { kind: 'raw', status: 200, headers: { 'content-type': 'text/plain' }, body: 'not json' });
      server.enqueue({ kind: 'message', content: 'third' });
      const text = async (response: Response): Promise<string | undefined> =>
        ((await response.json()) as { content: Array<{ text: string }> }).content[0]?.text;
      const first = await text(await post(server, request));
      const second = await post(server, request);
      const third = await text(await post(server, request));
      const fourth = await text(await post(server, request));
      expect(first).toBe('first');
      expect(second.headers.get('content-type')).toBe('text/plain');
      expect(second.headers.get('request-id')).toBeNull(); // raw is sent as is
      expect(await second.text()).toBe('not json');
      expect(third).toBe('third');
      expect(fourth).toBe(echo);
    });
  });

  it('turns a throwing handler into a 500 api_error', async () => {
    await withServer(async (server) => {
      server.reply(() => {
        throw new Error('boom');
      });
      const response = await post(server, request);
      expect(response.status).toBe(500);
      expect(((await response.json()) as { error: unknown }).error).toEqual({ type: 'api_error', message: 'Fake Anthropic handler failed: boom' });
    });
  });

  it('delays a reply by delayMs', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'message', content: 'late', delayMs: 150 });
      const started = Date.now();
      const response = await post(server, request);
      expect(response.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    });
  });

  it('reset drops the connection without an answer: fetch rejects, and the next request is answered', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'reset' });
      await expect(post(server, request)).rejects.toThrow();
      expect(server.requests).toHaveLength(1);
      const next = await post(server, request);
      expect(next.status).toBe(200);
    });
  });

  it('cut on a stream delivers the first events, then reading the body fails', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterEvents: 4 });
      const response = await post(server, { ...request, stream: true });
      expect(response.status).toBe(200);
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
      const events = sseEvents(received);
      expect(events.map((e) => e.event)).toEqual(['message_start', 'content_block_start', 'ping', 'content_block_delta']);
      expect(events[3]?.data.delta.text).toBe('The ');
    });
  });

  it('cut on a non-streaming request sends the headers and half the JSON, then reading the body fails', async () => {
    await withServer(async (server) => {
      server.enqueue({ kind: 'cut', content: 'The capital of France is Paris.', afterEvents: 0 });
      const response = await post(server, request);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('application/json');
      await expect(response.text()).rejects.toThrow();
    });
  });

  it('close() finishes while a hung request is open, and the client sees the connection drop', async () => {
    const server = await startAnthropicServer({ handler: () => ({ kind: 'hang' }) });
    const pending = post(server, request).then(
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
    const server = await startAnthropicServer({ handler: () => ({ kind: 'message', content: 'x', delayMs: 60_000 }) });
    const pending = post(server, request).catch(() => 'failed');
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    const started = Date.now();
    await server.close();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(await pending).toBe('failed');
  });
});
