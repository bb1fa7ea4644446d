import type { WireApi } from './types.js';

/** Where each API lives under its base URL, as the official SDKs call it. */
export const apiPaths: Readonly<Record<WireApi, string>> = {
  'openai.chat': '/chat/completions',
  'openai.responses': '/responses',
  'anthropic.messages': '/v1/messages',
};

/**
 * The LLM API a request calls, told by its method and path the way the SDKs build them
 * (`{base}/chat/completions`, `{base}/responses`, `{base}/v1/messages`); anything else is plain HTTP.
 * The headers may be given as a function, asked only for a bare `/messages` path (ctx.fetch builds them on demand).
 */
export function wireApiOf(url: URL, method: string, headers?: Headers | (() => Headers)): WireApi | undefined {
  if (method.toUpperCase() !== 'POST') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  if (path.endsWith('/chat/completions')) return 'openai.chat';
  if (path.endsWith('/responses')) return 'openai.responses';
  if (path.endsWith('/v1/messages') || (path.endsWith('/messages') && (typeof headers === 'function' ? headers() : headers)?.has('anthropic-version'))) return 'anthropic.messages';
  return undefined;
}
