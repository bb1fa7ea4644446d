import { ActionParamsError } from '../errors.js';
import { agentFor, loadUndici } from '../live/http.js';
import type { ActionDefinition, LiveContext, LiveOutcome } from './types.js';

/**
 * A plain HTTP request a bot's SDK made through ctx.fetch (a search API, a web page). Only what
 * decides the answer is kept: method, URL, the content type and accept headers, and the body; keys
 * and other headers travel beside the params and are never stored.
 */
export interface HttpFetchParams {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface HttpFetchOutput {
  status: number;
  status_text: string;
  headers: Record<string, string>;
  /** The body as text, or base64 when it is not UTF-8 text. */
  body: string;
  body_encoding?: 'base64';
}

/** The request headers that enter the params: they change the answer, and they are the same on every machine. */
export const keyedRequestHeaders = ['content-type', 'accept'];

/** Answer headers not worth keeping: per connection, recomputed, or a session a recording must not carry. */
const droppedAnswerHeaders = new Set(['set-cookie', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'content-encoding', 'date']);

function fail(problem: string): never {
  throw new ActionParamsError('http.fetch', problem);
}

function validate(raw: unknown): HttpFetchParams {
  if (raw === null || typeof raw !== 'object') fail('params must be an object { method, url, headers, body }.');
  const params = raw as Partial<HttpFetchParams>;
  if (typeof params.url !== 'string' || !URL.canParse(params.url)) fail(`"url" must be an absolute URL; it is ${JSON.stringify(params.url)}.`);
  const method = typeof params.method === 'string' ? params.method.toUpperCase() : 'GET';
  const headers = params.headers ?? {};
  if (typeof headers !== 'object') fail('"headers" must be an object of strings.');
  if (params.body !== undefined && params.body !== null && typeof params.body !== 'string') fail('"body" must be a string or null.');
  return { method, url: params.url, headers, body: params.body ?? null };
}

/** Reads an answer into the recorded shape: text when it is UTF-8, else base64. */
export async function readHttpAnswer(response: { status: number; statusText: string; headers: Headers; arrayBuffer(): Promise<ArrayBuffer> }): Promise<HttpFetchOutput> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!droppedAnswerHeaders.has(name)) headers[name] = value;
  });
  const bytes = new Uint8Array(await response.arrayBuffer());
  let body: string;
  try {
    body = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { status: response.status, status_text: response.statusText, headers, body: Buffer.from(bytes).toString('base64'), body_encoding: 'base64' };
  }
  return { status: response.status, status_text: response.statusText, headers, body };
}

/** Sends the request for real with the headers given (the SDK's own, keys included, for a ctx.fetch call). */
export async function sendHttp(params: HttpFetchParams, headers: Record<string, string>, live: LiveContext): Promise<LiveOutcome<HttpFetchOutput>> {
  const url = new URL(params.url);
  const { fetch } = await loadUndici();
  const response = await fetch(url, {
    method: params.method,
    headers,
    ...(params.body !== null && { body: params.body }),
    dispatcher: await agentFor(url),
    signal: live.signal,
  });
  return { output: await readHttpAnswer(response) };
}

/** A mock may give the body alone (text, or any JSON), or { status, headers, body }. */
function expandMockOutput(output: unknown): HttpFetchOutput {
  if (typeof output === 'string') return { status: 200, status_text: 'OK', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: output };
  const given = output as Partial<HttpFetchOutput> | null;
  if (given && typeof given === 'object' && typeof given.status === 'number' && ('body' in given || 'headers' in given)) {
    const body = typeof given.body === 'string' ? given.body : JSON.stringify(given.body ?? '');
    return { status: given.status, status_text: given.status_text ?? '', headers: given.headers ?? {}, body, ...(given.body_encoding && { body_encoding: given.body_encoding }) };
  }
  return { status: 200, status_text: 'OK', headers: { 'content-type': 'application/json' }, body: JSON.stringify(output) };
}

export const httpFetchAction: ActionDefinition<HttpFetchParams, HttpFetchOutput> = {
  type: 'http.fetch',
  description: 'A plain HTTP request made through ctx.fetch: live in replay mode unless config cache.actions names it; mockable.',
  cachedByDefault: false,
  validate,
  run: (params, live) => sendHttp(params, params.headers, live),
  expandMockOutput,
  exampleOutput: { status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' },
};
