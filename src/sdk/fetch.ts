import { keyedRequestHeaders, sendHttp, type HttpFetchOutput, type HttpFetchParams } from '../actions/http-fetch.js';
import { wireApiOf } from '../wire/route.js';
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
 * The fetch a bot hands its SDK. Calls to LLM APIs (OpenAI chat/completions and responses,
 * Anthropic messages) become `llm.message` actions keyed by their request body; any other request
 * becomes an `http.fetch` action. Either way the mode decides where the answer comes from, and the
 * SDK gets a Response it cannot tell from the provider's.
 */
export function createContextFetch(caller: SdkCaller): ContextFetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const aborted = rejectOnAbort(request.signal);
    const answering = answer(caller, request);
    return aborted ? Promise.race([answering, aborted]) : answering;
  };
}

async function answer(caller: SdkCaller, request: Request): Promise<Response> {
  const url = new URL(request.url);
  const api = wireApiOf(url, request.method, request.headers);
  const bodyText = request.body ? await request.text() : null;
  if (api) {
    return exchangeWire(caller, { api, bodyText: bodyText ?? '', target: () => ({ url, headers: forwardableHeaders(request.headers) }), signal: request.signal });
  }

  const params: HttpFetchParams = { method: request.method, url: url.href, headers: {}, body: bodyText };
  for (const name of keyedRequestHeaders) {
    const value = request.headers.get(name);
    if (value !== null) params.headers[name] = value;
  }
  const sent = forwardableHeaders(request.headers);
  const sdk = untilAnswered(request.signal);
  try {
    const output = (await caller.dispatcher.perform('http.fetch', params, caller.bot, {
      runLive: (live, performed) => sendHttp(performed as HttpFetchParams, sent, sdk.live(live)),
    })) as HttpFetchOutput;
    return answerOf(output);
  } finally {
    sdk.answered();
  }
}
