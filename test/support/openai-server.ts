/**
 * A local fake of the OpenAI Chat Completions endpoint (`POST /v1/chat/completions`) and of the Responses
 * endpoint (`POST /v1/responses`).
 *
 * It answers in OpenAI's wire format (see /work/shared/WIRE.md, "OpenAI Chat Completions"): the
 * `chat.completion` JSON object, the `chat.completion.chunk` SSE stream ending in `data: [DONE]`, and
 * OpenAI-shaped error bodies. On `/v1/responses` the same replies come as the `response` object and its
 * named-event stream (responses-wire.ts); a handler serves both paths and can tell them apart by
 * `request.path`. Answers are deterministic (fixed `created`, counter-based ids, token counts
 * derived from text lengths) so recorded caches and snapshots stay stable across runs. Besides answers and
 * errors it can fake transport faults: a dropped connection (`reset`), an answer cut off mid-body (`cut`)
 * and a request never answered (`hang`).
 *
 * Only node:http is used; the server listens on 127.0.0.1 on a random port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal, write, sleepUnlessClosed, readBody, parseJson, isRecord, splitWords, splitFixed } from './server-io.js';
import { lastUserText, responseEvents, responseObject, responsesInputText, type ResponsesParts } from './responses-wire.js';

export interface ChatRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // `any` on purpose: tests read arbitrary fields of the parsed JSON without narrowing.
  body: any /* parsed JSON or undefined */;
  rawBody: string;
}

export type ChatReply =
  | {
      kind: 'message';
      /** On /v1/responses: null or omitted with toolCalls is no message item; `finishReason: 'length'` is an incomplete response. */
      content?: string | null;
      toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
      finishReason?: string;
      usage?: { prompt_tokens: number; completion_tokens: number };
      model?: string;
      delayMs?: number;
    }
  | { kind: 'error'; status: number; message: string; type?: string; code?: string | null; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string } // anything else, e.g. a non-JSON body
  | { kind: 'reset' } // destroy the connection (TCP reset) without answering: the client sees a dropped connection
  /**
   * A text answer whose connection is destroyed part way: for a streaming request after `afterChunks` SSE
   * chunks (`data: [DONE]` counts as one; on /v1/responses, events); for a non-streaming one after the
   * headers (with the full content-length) and half the JSON.
   */
  | { kind: 'cut'; content: string; afterChunks: number }
  | { kind: 'hang' }; // accept the request and never answer (for timeout tests); must not keep close() from finishing

export type ChatHandler = (request: ChatRequest) => ChatReply | Promise<ChatReply>;

export interface FakeOpenAIServer {
  /** Base URL including '/v1', e.g. 'http://127.0.0.1:54321/v1' (what OPENAI_BASE_URL would hold). */
  url: string;
  /** Every request received, in order (including 401s and 404s). */
  requests: ChatRequest[];
  /** Replace the handler. */
  reply(handler: ChatHandler): void;
  /** One-shot replies served before the handler, in order. */
  enqueue(...replies: ChatReply[]): void;
  /** Closes the server and destroys open sockets (including hung ones). */
  close(): Promise<void>;
}

/** Fixed `created` timestamp so that answers are byte-for-byte reproducible. */
const CREATED = 1700000000;
const DEFAULT_MODEL = 'gpt-4o-mini';
/** Tool-call arguments are streamed in pieces of this many characters. */
const ARGUMENT_PIECE_LENGTH = 8;

type MessageReply = Extract<ChatReply, { kind: 'message' }>;
type ErrorReply = Extract<ChatReply, { kind: 'error' }>;

interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

interface WireToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

/** Delta of a streamed tool call; only the first delta of a call carries id, type and name. */
interface WireToolCallDelta {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

interface WireDelta {
  role?: 'assistant';
  content?: string | null;
  tool_calls?: WireToolCallDelta[];
}

export async function startOpenAIServer(options: { handler?: ChatHandler; apiKey?: string } = {}): Promise<FakeOpenAIServer> {
  let handler: ChatHandler = options.handler ?? defaultChatHandler;
  const queue: ChatReply[] = [];
  const requests: ChatRequest[] = [];
  // Counts `message` replies only, so completion ids do not shift when error replies are interleaved.
  let completions = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const request: ChatRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      body: parseJson(rawBody),
      rawBody,
    };
    requests.push(request);

    const pathname = request.path.split('?')[0];
    const responsesApi = pathname === '/v1/responses';
    if (request.method !== 'POST' || (pathname !== '/v1/chat/completions' && !responsesApi)) {
      // OpenAI's answer to an unknown route.
      sendError(res, { kind: 'error', status: 404, message: `Invalid URL (${request.method} ${pathname})`, code: null });
      return;
    }

    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      const given = /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
      sendError(res, {
        kind: 'error',
        status: 401,
        message: `Incorrect API key provided: ${maskKey(given)}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        code: 'invalid_api_key',
      });
      return;
    }

    let reply: ChatReply;
    try {
      reply = queue.shift() ?? (await handler(request));
    } catch (error) {
      // A broken test handler should surface as a visible 500, not as a hung request.
      const message = error instanceof Error ? error.message : String(error);
      sendError(res, { kind: 'error', status: 500, message: `Fake OpenAI handler failed: ${message}` });
      return;
    }

    switch (reply.kind) {
      case 'hang':
        // Never answer; close() destroys the socket.
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'cut': {
        completions += 1;
        if (responsesApi) {
          const parts = responsesParts({ kind: 'message', content: reply.content }, request, completions);
          if (request.body?.stream === true) {
            await sendChunks(res, responseEvents(parts).slice(0, Math.max(0, reply.afterChunks)));
          } else {
            const text = JSON.stringify(responseObject(parts));
            res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
            await write(res, text.slice(0, Math.floor(text.length / 2)));
          }
          res.destroy();
          return;
        }
        const completion = completionParts({ kind: 'message', content: reply.content }, request, completions);
        if (request.body?.stream === true) {
          const includeUsage = request.body?.stream_options?.include_usage === true;
          await sendChunks(res, streamChunks(completion, includeUsage).slice(0, Math.max(0, reply.afterChunks)));
        } else {
          const text = JSON.stringify(completionObject(completion));
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
          await write(res, text.slice(0, Math.floor(text.length / 2)));
        }
        res.destroy();
        return;
      }
      case 'error':
        sendError(res, reply);
        return;
      case 'raw':
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body);
        return;
      case 'message': {
        completions += 1;
        if (reply.delayMs !== undefined && reply.delayMs > 0) {
          await sleepUnlessClosed(reply.delayMs, res);
          if (res.destroyed) return;
        }
        if (responsesApi) {
          const parts = responsesParts(reply, request, completions);
          if (request.body?.stream === true) {
            await sendChunks(res, responseEvents(parts));
            res.end();
          } else {
            sendJson(res, 200, responseObject(parts));
          }
          return;
        }
        const completion = completionParts(reply, request, completions);
        if (request.body?.stream === true) {
          await sendChunks(res, streamChunks(completion, request.body?.stream_options?.include_usage === true));
          res.end();
        } else {
          sendJson(res, 200, completionObject(completion));
        }
        return;
      }
    }
  };

  const local = await listenLocal(handle);

  return {
    url: `http://127.0.0.1:${local.port}/v1`,
    requests,
    reply(next) {
      handler = next;
    },
    enqueue(...replies) {
      queue.push(...replies);
    },
    close: () => local.close(),
  };
}

/**
 * Deterministic echo-like handler: answers `echo: <content of the last user message>`. A body that is not
 * JSON, or that has no `messages` array (on /v1/responses: no `input`), gets the 400 OpenAI would give.
 */
export function defaultChatHandler(request: ChatRequest): ChatReply {
  const body: unknown = request.body;
  if (!isRecord(body)) {
    return {
      kind: 'error',
      status: 400,
      message:
        "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      code: null,
    };
  }
  if (isResponsesPath(request.path)) {
    if (body.input === undefined) {
      return { kind: 'error', status: 400, message: "Missing required parameter: 'input'.", code: 'missing_required_parameter' };
    }
    return { kind: 'message', content: `echo: ${lastUserText(body.input)}` };
  }
  if (!Array.isArray(body.messages)) {
    return { kind: 'error', status: 400, message: "Missing required parameter: 'messages'.", code: 'missing_required_parameter' };
  }
  const lastUser = [...body.messages].reverse().find((message) => isRecord(message) && message.role === 'user');
  const text = isRecord(lastUser) ? contentText(lastUser.content) : '';
  return { kind: 'message', content: `echo: ${text}` };
}

// ---------------------------------------------------------------------------------------------------------
// Response bodies

/** Everything needed to render one completion, either as a JSON object or as a chunk stream. */
interface CompletionParts {
  id: string;
  model: string;
  content: string | null;
  toolCalls: WireToolCall[];
  finishReason: string;
  usage: Usage;
}

function completionParts(reply: MessageReply, request: ChatRequest, counter: number): CompletionParts {
  return {
    id: `chatcmpl-fake${String(counter).padStart(6, '0')}`,
    model: reply.model ?? (typeof request.body?.model === 'string' ? request.body.model : DEFAULT_MODEL),
    content: reply.content !== undefined ? reply.content : reply.toolCalls?.length ? null : '',
    toolCalls: (reply.toolCalls ?? []).map((call, index) => ({
      id: call.id ?? `call_fake${String(counter).padStart(6, '0')}_${index}`,
      type: 'function' as const,
      function: { name: call.name, arguments: call.arguments },
    })),
    finishReason: reply.finishReason ?? (reply.toolCalls?.length ? 'tool_calls' : 'stop'),
    usage: computeUsage(reply, request),
  };
}

function isResponsesPath(path: string): boolean {
  return path.split('?')[0] === '/v1/responses';
}

/** A message reply as a Responses answer: the same content, tool calls (call ids) and usage as on chat. */
function responsesParts(reply: MessageReply, request: ChatRequest, counter: number): ResponsesParts {
  const completion = completionParts(reply, request, counter);
  return {
    counter,
    model: completion.model,
    // As on chat, a reply without content or tool calls is an empty text answer.
    content: completion.content,
    toolCalls: completion.toolCalls.map((call) => ({ callId: call.id, name: call.function.name, arguments: call.function.arguments })),
    finishReason: completion.finishReason,
    usage: { input_tokens: completion.usage.prompt_tokens, output_tokens: completion.usage.completion_tokens },
    request: isRecord(request.body) ? request.body : {},
  };
}

function completionObject(c: CompletionParts): object {
  return {
    id: c.id,
    object: 'chat.completion',
    created: CREATED,
    model: c.model,
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: c.content,
          ...(c.toolCalls.length > 0 ? { tool_calls: c.toolCalls } : {}),
          refusal: null,
        },
        logprobs: null,
        finish_reason: c.finishReason,
      },
    ],
    usage: c.usage,
  };
}

/**
 * The completion as `chat.completion.chunk` SSE events: role chunk, content pieces, tool-call deltas, the
 * finish chunk, the usage chunk (only when asked for), then `data: [DONE]`.
 */
function streamChunks(c: CompletionParts, includeUsage: boolean): string[] {
  const chunk = (choices: object[], usage?: Usage): string => {
    const body: Record<string, unknown> = { id: c.id, object: 'chat.completion.chunk', created: CREATED, model: c.model, choices };
    // OpenAI documents that with include_usage every chunk carries `usage`, null except in the last one.
    if (includeUsage) body.usage = usage ?? null;
    return `data: ${JSON.stringify(body)}\n\n`;
  };
  const deltaChunk = (delta: WireDelta, finishReason: string | null = null): string =>
    chunk([{ index: 0, delta, logprobs: null, finish_reason: finishReason }]);

  // The role chunk carries content '' for a text answer, null for a tool-call-only answer (as OpenAI does),
  // so that a client accumulating deltas ends with the same `content` as the non-streaming answer.
  const events: string[] = [deltaChunk({ role: 'assistant', content: c.content === null ? null : '' })];
  for (const piece of splitWords(c.content ?? '')) events.push(deltaChunk({ content: piece }));
  c.toolCalls.forEach((call, index) => {
    events.push(
      deltaChunk({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }),
    );
    for (const piece of splitFixed(call.function.arguments, ARGUMENT_PIECE_LENGTH)) {
      events.push(deltaChunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
    }
  });
  events.push(deltaChunk({}, c.finishReason));
  if (includeUsage) events.push(chunk([], c.usage));
  events.push('data: [DONE]\n\n');
  return events;
}

/** Sends the stream headers and the given events one write at a time (leaves the response open). */
async function sendChunks(res: ServerResponse, events: string[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  // Flush the headers even when no event follows (a stream cut before its first chunk).
  res.flushHeaders();
  for (const event of events) {
    if (res.destroyed) return;
    await write(res, event);
  }
}

function sendError(res: ServerResponse, reply: ErrorReply): void {
  const type = reply.type ?? (reply.status >= 500 ? 'server_error' : 'invalid_request_error');
  const body = { error: { message: reply.message, type, param: null, code: reply.code ?? null } };
  sendJson(res, reply.status, body, reply.headers);
}

function sendJson(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}



// ---------------------------------------------------------------------------------------------------------
// Helpers




/** Text of a message `content`: a string, or an array of parts of which the `{type:'text', text}` ones count. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => (isRecord(part) && part.type === 'text' && typeof part.text === 'string' ? part.text : ''))
    .join('');
}

/**
 * Deterministic stand-in for token counts (about 4 characters a token): prompt = all message contents (on
 * /v1/responses: the instructions and the text of every input item),
 * completion = the answer text plus tool-call names and arguments, at least 1.
 */
function computeUsage(reply: MessageReply, request: ChatRequest): Usage {
  if (reply.usage) {
    const { prompt_tokens, completion_tokens } = reply.usage;
    return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
  }
  const body: unknown = request.body;
  const messages: unknown[] = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
  const promptChars = isResponsesPath(request.path)
    ? [...(isRecord(body) && typeof body.instructions === 'string' ? [body.instructions] : []), ...responsesInputText(isRecord(body) ? body.input : undefined)].join('').length
    : messages.reduce<number>((sum, m) => sum + (isRecord(m) ? contentText(m.content).length : 0), 0);
  const completionChars =
    (reply.content ?? '').length + (reply.toolCalls ?? []).reduce((sum, call) => sum + call.name.length + call.arguments.length, 0);
  const prompt_tokens = Math.ceil(promptChars / 4);
  const completion_tokens = Math.max(1, Math.ceil(completionChars / 4));
  return { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens };
}



/** Masks a key the way OpenAI's 401 message does: a few leading and the last 4 characters stay visible. */
function maskKey(key: string): string {
  if (key.length <= 8) return '*'.repeat(key.length);
  return `${key.slice(0, 3)}${'*'.repeat(key.length - 7)}${key.slice(-4)}`;
}
