/**
 * A local fake of the Anthropic Messages endpoint (`POST /v1/messages`).
 *
 * It answers in Anthropic's wire format (see /work/shared/WIRE.md, "Anthropic Messages"): the `message`
 * JSON object, the named-event SSE stream (`message_start` … `message_stop`), and Anthropic-shaped error
 * bodies (`{"type":"error","error":{"type":…,"message":…},"request_id":…}`) with a `request-id` header.
 * Like the real API it rejects, before any reply is chosen: a wrong or missing key (401, when the server was
 * started with `apiKey`), a missing or unknown `anthropic-version` header (400), a body that is not JSON
 * (400), a body without `max_tokens`, `messages` or `model` (400), and under API version 2026-10-21 a body
 * with `temperature`, `top_p` or `top_k` (400; that version removed them).
 *
 * The key is read from `x-api-key` or, when that header is absent, from `authorization: Bearer <key>`: both
 * are accepted by the API, x-api-key winning when both are sent, and the official SDK from 1.0 (API version
 * 2026-10-21) sends the key as a bearer token.
 *
 * Answers are deterministic (counter-based ids, token counts derived from text lengths) so recorded caches
 * and snapshots stay stable across runs. Besides answers and errors it can fake transport faults: a
 * dropped connection (`reset`), an answer cut off mid-body (`cut`) and a request never answered (`hang`).
 *
 * Only node:http is used; the server listens on 127.0.0.1 on a random port.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenLocal, write, sleepUnlessClosed, readBody, parseJson, isRecord, splitWords, splitFixed } from './server-io.js';

export interface MessagesRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  // `any` on purpose: tests read arbitrary fields of the parsed JSON without narrowing.
  body: any /* parsed JSON or undefined */;
  rawBody: string;
}

export type MessagesReply =
  | {
      kind: 'message';
      /** Text of the answer. Omitted with toolUses: no text block; omitted without: an empty text block. */
      content?: string;
      toolUses?: Array<{ id?: string; name: string; input: unknown }>;
      /** Default `end_turn`, or `tool_use` when there are tool uses. */
      stopReason?: string;
      usage?: { input_tokens: number; output_tokens: number };
      model?: string;
      delayMs?: number;
    }
  /** e.g. 429 `rate_limit_error` with a `retry-after` header, 529 `overloaded_error`, 500 `api_error`. */
  | { kind: 'error'; status: number; type: string; message: string; headers?: Record<string, string> }
  /** Anything else, sent as is (no request-id header added), e.g. a non-JSON body or an in-stream `event: error`. */
  | { kind: 'raw'; status: number; headers?: Record<string, string>; body: string }
  /** Destroys the connection (TCP reset) without answering: the client sees a dropped connection. */
  | { kind: 'reset' }
  /**
   * A text answer whose connection is destroyed part way: for a streaming request after `afterEvents` SSE
   * events; for a non-streaming one after the headers (with the full content-length) and half the JSON.
   */
  | { kind: 'cut'; content: string; afterEvents: number }
  /** Accepts the request and never answers (for timeout tests); does not keep close() from finishing. */
  | { kind: 'hang' };

export type MessagesHandler = (request: MessagesRequest) => MessagesReply | Promise<MessagesReply>;

export interface FakeAnthropicServer {
  /**
   * Base URL WITHOUT '/v1', e.g. 'http://127.0.0.1:54321': what ANTHROPIC_BASE_URL holds and what the
   * official SDK's `baseURL` takes (it appends '/v1/messages' itself).
   */
  url: string;
  /** Every request received, in order (including rejected ones and 404s). */
  requests: MessagesRequest[];
  /** Replace the handler. */
  reply(handler: MessagesHandler): void;
  /** One-shot replies served before the handler, in order (only to requests that pass validation). */
  enqueue(...replies: MessagesReply[]): void;
  /** Closes the server and destroys open sockets (including hung ones). Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_MODEL = 'claude-sonnet-4-6';
/** The `anthropic-version` values the API accepts (2026-10-21 is what @anthropic-ai/sdk 1.x sends). */
const KNOWN_VERSIONS = new Set(['2023-01-01', '2023-06-01', '2026-10-21']);
/** Request parameters API version 2026-10-21 removed: sending any of them is a 400. */
const REMOVED_IN_2026_10_21 = ['temperature', 'top_p', 'top_k'];
/** Tool input JSON is streamed in pieces of this many characters. */
const INPUT_PIECE_LENGTH = 8;

type MessageReply = Extract<MessagesReply, { kind: 'message' }>;
type ErrorReply = Extract<MessagesReply, { kind: 'error' }>;

interface Usage {
  input_tokens: number;
  output_tokens: number;
}

type ContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

/** Everything needed to render one message, either as a JSON object or as an event stream. */
interface MessageParts {
  id: string;
  model: string;
  content: ContentBlock[];
  stopReason: string;
  usage: Usage;
}

export async function startAnthropicServer(
  options: { handler?: MessagesHandler; apiKey?: string } = {},
): Promise<FakeAnthropicServer> {
  let handler: MessagesHandler = options.handler ?? defaultMessagesHandler;
  const queue: MessagesReply[] = [];
  const requests: MessagesRequest[] = [];
  // Counts answered messages only (`message` and `cut`), so message ids do not shift when errors are interleaved.
  let messages = 0;
  // Counts every request: the request-id header of each answer.
  let requestCount = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const rawBody = await readBody(req);
    const request: MessagesRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: { ...req.headers },
      body: parseJson(rawBody),
      rawBody,
    };
    requests.push(request);
    requestCount += 1;
    const requestId = `req_fake${pad(requestCount)}`;
    const fail = (status: number, type: string, message: string, headers?: Record<string, string>): void =>
      sendError(res, requestId, { kind: 'error', status, type, message, headers });

    const pathname = request.path.split('?')[0];
    if (request.method !== 'POST' || pathname !== '/v1/messages') {
      fail(404, 'not_found_error', 'Not Found');
      return;
    }

    if (options.apiKey !== undefined) {
      const given = req.headers['x-api-key'] ?? /^Bearer (.*)$/.exec(req.headers.authorization ?? '')?.[1];
      if (given === undefined || given === '') {
        fail(401, 'authentication_error', 'x-api-key header is required');
        return;
      }
      if (given !== options.apiKey) {
        fail(401, 'authentication_error', 'invalid x-api-key');
        return;
      }
    }

    const version = req.headers['anthropic-version'];
    if (version === undefined || version === '') {
      fail(400, 'invalid_request_error', 'anthropic-version: header is required');
      return;
    }
    if (!KNOWN_VERSIONS.has(version as string)) {
      fail(400, 'invalid_request_error', `anthropic-version: ${JSON.stringify(version)} is not a valid version`);
      return;
    }

    const invalid = validateBody(rawBody, version as string);
    if (invalid !== undefined) {
      fail(400, 'invalid_request_error', invalid);
      return;
    }

    let reply: MessagesReply;
    try {
      reply = queue.shift() ?? (await handler(request));
    } catch (error) {
      // A broken test handler should surface as a visible 500, not as a hung request.
      const message = error instanceof Error ? error.message : String(error);
      fail(500, 'api_error', `Fake Anthropic handler failed: ${message}`);
      return;
    }

    const stream = request.body.stream === true;
    switch (reply.kind) {
      case 'hang':
        // Never answer; close() destroys the socket.
        return;
      case 'reset':
        req.socket.resetAndDestroy();
        return;
      case 'error':
        sendError(res, requestId, reply);
        return;
      case 'raw':
        res.writeHead(reply.status, reply.headers ?? {});
        res.end(reply.body);
        return;
      case 'cut': {
        messages += 1;
        const parts = messageParts({ kind: 'message', content: reply.content }, request, messages);
        if (stream) {
          await sendEvents(res, requestId, streamEvents(parts).slice(0, Math.max(0, reply.afterEvents)));
        } else {
          const text = JSON.stringify(messageObject(parts));
          res.writeHead(200, jsonHeaders(requestId, text));
          await write(res, text.slice(0, Math.floor(text.length / 2)));
        }
        res.destroy();
        return;
      }
      case 'message': {
        messages += 1;
        if (reply.delayMs !== undefined && reply.delayMs > 0) {
          await sleepUnlessClosed(reply.delayMs, res);
          if (res.destroyed) return;
        }
        const parts = messageParts(reply, request, messages);
        if (stream) {
          await sendEvents(res, requestId, streamEvents(parts));
          res.end();
        } else {
          sendJson(res, requestId, 200, messageObject(parts));
        }
        return;
      }
    }
  };

  const local = await listenLocal(handle);

  return {
    url: `http://127.0.0.1:${local.port}`,
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

/** Deterministic echo-like handler: answers `echo: <text of the last user message>`. */
export function defaultMessagesHandler(request: MessagesRequest): MessagesReply {
  const body: unknown = request.body;
  const messages: unknown[] = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
  const lastUser = [...messages].reverse().find((message) => isRecord(message) && message.role === 'user');
  const text = isRecord(lastUser) ? contentText(lastUser.content) : '';
  return { kind: 'message', content: `echo: ${text}` };
}

// ---------------------------------------------------------------------------------------------------------
// Validation

/** The 400 message the API gives for this body, or undefined when the body is acceptable. */
function validateBody(rawBody: string, version: string): string | undefined {
  let body: unknown;
  try {
    body = JSON.parse(rawBody) as unknown;
  } catch (error) {
    return `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  if (!isRecord(body)) return 'The request body is not valid JSON: expected an object';
  for (const field of ['max_tokens', 'messages', 'model']) {
    if (body[field] === undefined) return `${field}: Field required`;
  }
  if (version === '2026-10-21') {
    for (const field of REMOVED_IN_2026_10_21) {
      if (body[field] !== undefined) return `${field}: Extra inputs are not permitted`;
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------
// Response bodies

function messageParts(reply: MessageReply, request: MessagesRequest, counter: number): MessageParts {
  const toolUses = reply.toolUses ?? [];
  const content: ContentBlock[] = [];
  if (reply.content !== undefined || toolUses.length === 0) content.push({ type: 'text', text: reply.content ?? '' });
  toolUses.forEach((use, index) => {
    content.push({ type: 'tool_use', id: use.id ?? `toolu_fake${pad(counter)}_${index}`, name: use.name, input: use.input ?? {} });
  });
  return {
    id: `msg_fake${pad(counter)}`,
    model: reply.model ?? (typeof request.body?.model === 'string' ? request.body.model : DEFAULT_MODEL),
    content,
    stopReason: reply.stopReason ?? (toolUses.length > 0 ? 'tool_use' : 'end_turn'),
    usage: reply.usage ? { input_tokens: reply.usage.input_tokens, output_tokens: reply.usage.output_tokens } : computeUsage(content, request),
  };
}

/** The non-streaming answer, keys in the order the API sends them. */
function messageObject(m: MessageParts): object {
  return {
    id: m.id,
    type: 'message',
    role: 'assistant',
    model: m.model,
    content: m.content,
    stop_reason: m.stopReason,
    stop_sequence: null,
    usage: m.usage,
  };
}

/**
 * The streaming answer as SSE events: message_start (usage with output_tokens 1), per content block
 * content_block_start / content_block_delta pieces / content_block_stop (a ping after the first start),
 * message_delta (stop reason, final output_tokens), message_stop.
 */
function streamEvents(m: MessageParts): string[] {
  const events: string[] = [
    sse('message_start', {
      type: 'message_start',
      message: {
        id: m.id,
        type: 'message',
        role: 'assistant',
        content: [],
        model: m.model,
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: m.usage.input_tokens, output_tokens: 1 },
      },
    }),
  ];
  m.content.forEach((block, index) => {
    if (block.type === 'text') {
      events.push(sse('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
      if (index === 0) events.push(sse('ping', { type: 'ping' }));
      for (const text of splitWords(block.text)) {
        events.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text } }));
      }
    } else {
      const start = { type: 'tool_use', id: block.id, name: block.name, input: {} };
      events.push(sse('content_block_start', { type: 'content_block_start', index, content_block: start }));
      if (index === 0) events.push(sse('ping', { type: 'ping' }));
      // As the API does, the input starts with an empty piece.
      for (const partial_json of ['', ...splitFixed(JSON.stringify(block.input), INPUT_PIECE_LENGTH)]) {
        events.push(sse('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json } }));
      }
    }
    events.push(sse('content_block_stop', { type: 'content_block_stop', index }));
  });
  events.push(
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: m.stopReason, stop_sequence: null },
      usage: { output_tokens: m.usage.output_tokens },
    }),
  );
  events.push(sse('message_stop', { type: 'message_stop' }));
  return events;
}

function sse(event: string, data: object): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** Sends the stream headers and the given events one write at a time (leaves the response open). */
async function sendEvents(res: ServerResponse, requestId: string, events: string[]): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': requestId });
  // Flush the headers even when no event follows (a stream cut before its first event).
  res.flushHeaders();
  for (const event of events) {
    if (res.destroyed) return;
    await write(res, event);
  }
}

function sendError(res: ServerResponse, requestId: string, reply: ErrorReply): void {
  const body = { type: 'error', error: { type: reply.type, message: reply.message }, request_id: requestId };
  sendJson(res, requestId, reply.status, body, reply.headers);
}

function jsonHeaders(requestId: string, text: string, headers: Record<string, string> = {}): Record<string, string | number> {
  return { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'request-id': requestId };
}

function sendJson(res: ServerResponse, requestId: string, status: number, body: object, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, jsonHeaders(requestId, text, headers));
  res.end(text);
}



// ---------------------------------------------------------------------------------------------------------
// Helpers



function pad(n: number): string {
  return String(n).padStart(6, '0');
}


/** Text of a `content` or `system` value: a string, or an array of blocks of which the `{type:'text', text}` ones count. */
function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((block) => (isRecord(block) && block.type === 'text' && typeof block.text === 'string' ? block.text : ''))
    .join('');
}

/**
 * Deterministic stand-in for token counts (about 4 characters a token): input = system plus all message
 * texts, output = answer text plus tool names and JSON inputs, at least 1.
 */
function computeUsage(content: ContentBlock[], request: MessagesRequest): Usage {
  const body: unknown = request.body;
  const messages: unknown[] = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
  const systemChars = isRecord(body) ? contentText(body.system).length : 0;
  const inputChars = messages.reduce<number>((sum, m) => sum + (isRecord(m) ? contentText(m.content).length : 0), systemChars);
  const outputChars = content.reduce(
    (sum, block) => sum + (block.type === 'text' ? block.text.length : block.name.length + JSON.stringify(block.input).length),
    0,
  );
  return { input_tokens: Math.ceil(inputChars / 4), output_tokens: Math.max(1, Math.ceil(outputChars / 4)) };
}


