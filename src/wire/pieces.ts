import { createHash } from 'node:crypto';
import stableStringify from 'fast-json-stable-stringify';
import type { StreamDelta } from '../actions/types.js';
import type { ServerSentEvent } from './sse.js';
import { ProviderStreamError } from '../errors.js';

/** Helpers the three wire codecs share: cutting text into stream pieces, stable ids, SSE framing. */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The same word split as llm.message's deltasOf, so a stream cut here matches one cut there. */
export function words(text: string): string[] {
  const found = text.match(/\s*\S+\s*/g);
  // All-whitespace text has no words; it still has to reach the client, so it goes as one piece.
  return found ?? (text === '' ? [] : [text]);
}

/** The recorded text pieces when they add up to `text` (a replay streams as the recording did), else words. */
export function textPieces(text: string, pieces?: readonly StreamDelta[]): string[] {
  if (pieces) {
    // A plain loop: a replayed stream checks its pieces on every call.
    const texts: string[] = [];
    for (const piece of pieces) if (piece.type === 'text' && piece.text !== '') texts.push(piece.text);
    if (texts.length > 0 && texts.join('') === text) return texts;
  }
  return words(text);
}

/**
 * The recorded argument pieces of tool call `index` when they add up to `args` (or, with `sameInput`,
 * to JSON that means the same), else words of `args`.
 */
export function argumentPieces(args: string, index: number, pieces?: readonly StreamDelta[], sameInput?: (joined: string) => boolean): string[] {
  if (pieces) {
    const parts = pieces.flatMap((piece) =>
      piece.type === 'tool_call' && piece.index === index && piece.arguments !== '' ? [piece.arguments] : [],
    );
    const joined = parts.join('');
    if (parts.length > 0 && (joined === args || sameInput?.(joined))) return parts;
  }
  return words(args);
}

/** Whether JSON text stands for `value` (key order and spacing aside). */
export function jsonMeans(text: string, value: unknown): boolean {
  try {
    return stableStringify(JSON.parse(text)) === stableStringify(value);
  } catch {
    return false;
  }
}

const base62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const hex = '0123456789abcdef';

/**
 * A token derived from `seed` (hashed as stable JSON) and a salt, so the same answer to the same
 * request gets the same ids on every replay. `stream` flags are left out: streaming or not is the
 * same answer.
 */
export function stableToken(seed: unknown, salt: string, length: number, alphabet: 'base62' | 'hex' = 'base62'): string {
  const chars = alphabet === 'hex' ? hex : base62;
  const text = stableStringify(seed) ?? '';
  let out = '';
  for (let round = 0; out.length < length; round++) {
    const digest = createHash('sha256').update(`${salt}\u0000${round}\u0000${text}`).digest();
    for (const byte of digest) {
      if (out.length >= length) break;
      // 62 does not divide 256: dropping the top bytes keeps the characters evenly likely.
      if (byte >= 248 && alphabet === 'base62') continue;
      out += chars[byte % chars.length];
    }
  }
  return out;
}

/** The part of a request that decides an answer's ids: everything but how it travels. */
export function idSeed(output: unknown, request: JsonObject): unknown {
  const { stream: _stream, stream_options: _streamOptions, ...rest } = request;
  return [output, rest];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** One Server-Sent Event as a provider frames it (OpenAI chat sends no `event:` line). */
export function sseFrame(data: unknown, event?: string): string {
  const json = typeof data === 'string' ? data : JSON.stringify(data);
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${json}\n\n`;
}

/** An event's JSON payload; a garbled one means the stream is broken, not that the answer is empty. */
export function parseEventData(provider: string, event: ServerSentEvent): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.data);
  } catch {
    throw new ProviderStreamError(provider, `an event was not JSON: ${event.data.slice(0, 200)}`);
  }
  if (!isObject(parsed)) throw new ProviderStreamError(provider, `an event was not a JSON object: ${event.data.slice(0, 200)}`);
  return parsed;
}

export function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

export function stringOr<T>(value: unknown, fallback: T): string | T {
  return typeof value === 'string' ? value : fallback;
}

/** The tool input an arguments text stands for; Anthropic needs an object, and a broken text has none. */
export function parseToolInput(args: string): unknown {
  if (args.trim() === '') return {};
  try {
    const parsed: unknown = JSON.parse(args);
    return isObject(parsed) ? parsed : {};
  } catch {
    return {};
  }
}

/** OpenAI's error `type` for a status; `code` says the rest (e.g. invalid_api_key). */
function openAiErrorType(status: number): string {
  if (status === 429) return 'requests';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** Chat Completions and Responses answer errors in the same shape. */
export function openAiErrorBody(status: number, message: string, code: string): unknown {
  return { error: { message, type: openAiErrorType(status), param: null, code: code === '' ? null : code } };
}
