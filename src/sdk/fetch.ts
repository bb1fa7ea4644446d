import { keyedRequestHeaders, sendHttp, type HttpFetchOutput, type HttpFetchParams } from '../actions/http-fetch.js';
import { apiOfRequest } from '../providers/registry.js';
import { forwardableHeaders } from '../wire/target.js';
import { exchangeWire, untilAnswered, type SdkCaller } from './exchange.js';

/** A standard fetch, as SDKs take it (`new OpenAI({ fetch: ctx.fetch })`). */
export type ContextFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

function rejectOnAbort(signal: AbortSignal | null | undefined): Promise<never> | undefined {
  if (!signal) return undefined;
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

function answerOf(output: HttpFetchOutput): Response {
  const body = output.body_encoding === 'base64' ? Buffer.from(output.body, 'base64') : output.body;
  // A null-body status (204, 304) cannot carry even an empty body in a Response.
  const empty = output.status === 204 || output.status === 304 || (output.status >= 100 && output.status < 200);
  return new Response(empty ? null : body, { status: output.status, statusText: output.status_text, headers: output.headers });
}

/**
 * A request as ctx.fetch reads it. The SDKs call fetch with a URL string and a JSON string body;
 * such a call is read straight from its arguments, without building a Request (and a stream of its
 * body) only to read the body back: on a replay hit that round trip cost more than the lookup.
 * Headers are built only when something asks for them (a live call, a bare `/messages` path).
 */
interface SdkRequest {
  url: URL;
  method: string;
  bodyText: string | null;
  signal: AbortSignal | null | undefined;
  headers(): Headers;
}

/** What `new Request` does to a method: the standard ones are upper-cased, others (`patch`) kept as they are. */
const normalizedMethods = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
function normalizeMethod(method: string): string {
  const upper = method.toUpperCase();
  return normalizedMethods.has(upper) ? upper : method;
}

function directRequest(input: string | URL, init: RequestInit & { body: string | null | undefined }): SdkRequest {
  let headers: Headers | undefined;
  return {
    url: new URL(input),
    method: normalizeMethod(init.method ?? 'GET'),
    bodyText: init.body ?? null,
    signal: init.signal,
    headers: () => (headers ??= new Headers(init.headers)),
  };
}

async function readRequest(request: Request): Promise<SdkRequest> {
  return { url: new URL(request.url), method: request.method, bodyText: request.body ? await request.text() : null, signal: request.signal, headers: () => request.headers };
}

/** A URL and a string body (or none): what the SDKs send. A GET or HEAD with a body goes the standard way, which refuses it. */
function isDirect(init: RequestInit | undefined): init is RequestInit & { body: string | null | undefined } {
  const body = init?.body;
  if (body === undefined || body === null) return true;
  return typeof body === 'string' && !/^(get|head)$/i.test(init?.method ?? 'GET');
}

/**
 * The fetch a bot hands its SDK. Calls to LLM APIs (OpenAI chat/completions and responses,
 * Anthropic messages) become `llm.message` actions keyed by their request body; any other request
 * becomes an `http.fetch` action. Either way the mode decides where the answer comes from, and the
 * SDK gets a Response it cannot tell from the provider's.
 */
export function createContextFetch(caller: SdkCaller): ContextFetch {
  return async (input, init) => {
    // Anything else (a Request, a stream or form body) is read the standard way, which also checks it.
    const request = !(input instanceof Request) && isDirect(init) ? directRequest(input, init ?? {}) : await readRequest(new Request(input, init));
    const aborted = rejectOnAbort(request.signal);
    const answering = answer(caller, request);
    return aborted ? Promise.race([answering, aborted]) : answering;
  };
}

async function answer(caller: SdkCaller, request: SdkRequest): Promise<Response> {
  const { url } = request;
  const api = apiOfRequest(url, request.method, request.headers);
  if (api) {
    return exchangeWire(caller, { api, bodyText: request.bodyText ?? '', target: () => ({ url, headers: forwardableHeaders(request.headers()) }), signal: request.signal ?? undefined });
  }

  const headers = request.headers();
  const params: HttpFetchParams = { method: request.method, url: url.href, headers: {}, body: request.bodyText };
  for (const name of keyedRequestHeaders) {
    const value = headers.get(name);
    if (value !== null) params.headers[name] = value;
  }
  const sent = forwardableHeaders(headers);
  const sdk = untilAnswered(request.signal ?? undefined);
  try {
    const output = (await caller.dispatcher.perform('http.fetch', params, caller.bot, {
      runLive: (live, performed) => sendHttp(performed as HttpFetchParams, sent, sdk.live(live)),
    })) as HttpFetchOutput;
    return answerOf(output);
  } finally {
    sdk.answered();
  }
}
