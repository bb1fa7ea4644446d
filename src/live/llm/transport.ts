import type { Dispatcher } from 'undici';
import type { LiveContext } from '../../actions/types.js';
import { ProviderError, ProviderTimeoutError, ProviderUnreachableError } from '../../errors.js';
import { agentFor, loadUndici } from '../http.js';
import { defaultRetryPolicy, parseRetryAfter, RetryableFailure, withRetries, type RetryPolicy } from './retry.js';

export interface ProviderCall {
  /** How errors name the provider: "OpenAI-compatible endpoint", "Anthropic". */
  provider: string;
  url: URL;
  headers: Record<string, string>;
  body: unknown;
  /** What to do about an HTTP status: the key to check, the URL to fix. */
  hintFor(status: number): string | undefined;
}

export interface TransportSettings {
  retry: RetryPolicy;
  /** Per attempt, until the whole answer (or stream) is read. */
  timeoutMs: number;
}

/** The invocation's retries and per-attempt timeout (config `llm`). */
export function transportSettings(live: LiveContext): TransportSettings {
  const { llm } = live.settings;
  return { retry: { ...defaultRetryPolicy, retries: llm.retries }, timeoutMs: llm.timeoutMs };
}

/** The provider's own words from an error body, whatever shape it came in (OpenAI and Anthropic both nest `error.message`). */
export function providerMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error?.message) return parsed.error.message;
    if (parsed.message) return parsed.message;
  } catch {
    // not JSON: the raw text below
  }
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, 500) : '(empty body)';
}

/** Connection failures worth another try: the server dropped us, rather than was never there. */
const droppedCodes = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ETIMEDOUT']);

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code ?? (error as { cause?: { code?: unknown } }).cause?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * POSTs JSON to a provider with retries (429, 5xx and dropped connections, honouring retry-after),
 * a per-attempt timeout, and the invocation's signal. Resolves to a 2xx response whose body the
 * caller reads; the same signals keep guarding that read. Anything else is a clear error.
 */
export function postToProvider(call: ProviderCall, live: LiveContext, settings: TransportSettings): Promise<Dispatcher.ResponseData> {
  const body = JSON.stringify(call.body);
  const where = call.url.origin + call.url.pathname;
  return withRetries(settings.retry, live.signal, async () => {
    const timeout = AbortSignal.timeout(settings.timeoutMs);
    let response: Dispatcher.ResponseData;
    try {
      const { request } = await loadUndici();
      response = await request(call.url, {
        method: 'POST',
        headers: call.headers,
        body,
        dispatcher: await agentFor(call.url),
        signal: AbortSignal.any([live.signal, timeout]),
      });
    } catch (error) {
      if (live.signal.aborted) throw live.signal.reason ?? error;
      if (timeout.aborted) throw new ProviderTimeoutError(call.provider, where, settings.timeoutMs);
      const failure = new ProviderUnreachableError(call.provider, where, error);
      if (droppedCodes.has(errorCode(error) ?? '')) throw new RetryableFailure(failure, undefined);
      throw failure;
    }
    if (response.statusCode >= 200 && response.statusCode < 300) return response;
    const text = await response.body.text().catch(() => '');
    const failure = new ProviderError(call.provider, response.statusCode, providerMessage(text), call.hintFor(response.statusCode), text);
    const retryable = response.statusCode === 429 || response.statusCode >= 500;
    if (retryable) throw new RetryableFailure(failure, parseRetryAfter(response.headers['retry-after']));
    throw failure;
  });
}
