import type { LiveContext } from '../actions/types.js';
import { ConfigError, MissingApiKeyError } from '../errors.js';
import { apiPaths } from './route.js';
import type { WireApi } from './types.js';

/** Where a recorded SDK call goes when it runs live, with the headers (keys included) it goes with; never stored. */
export interface WireTarget {
  url: URL;
  headers: Record<string, string>;
}

/** Headers that describe one hop, not the request; fetch sets its own. */
const hopHeaders = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'accept-encoding', 'upgrade']);

/** The headers of an SDK's request worth sending on (its key, API version, betas), without the per-hop ones. */
export function forwardableHeaders(headers: Headers): Record<string, string> {
  const kept: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!hopHeaders.has(name)) kept[name] = value;
  });
  return kept;
}

function baseUrl(variable: string, value: string, path: string): URL {
  try {
    return new URL(`${value.replace(/\/+$/, '')}${path}`);
  } catch {
    throw new ConfigError(`${variable} is not a URL: "${value}".`);
  }
}

/**
 * The real provider behind rehearse's local endpoint: the base URL and key of rehearse's own
 * environment (the agent only ever sees dummies), and the API version headers the agent's SDK chose.
 */
export function targetFromEnv(api: WireApi, env: LiveContext['env'], fromAgent: Headers = new Headers()): WireTarget {
  const path = apiPaths[api];
  if (api === 'anthropic.messages') {
    const url = baseUrl('ANTHROPIC_BASE_URL', env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com', path);
    const key = env.ANTHROPIC_API_KEY;
    if (!key && url.hostname === 'api.anthropic.com') throw new MissingApiKeyError('ANTHROPIC_API_KEY');
    const beta = fromAgent.get('anthropic-beta');
    return {
      url,
      headers: { 'anthropic-version': fromAgent.get('anthropic-version') ?? '2023-06-01', ...(beta && { 'anthropic-beta': beta }), ...(key && { 'x-api-key': key }) },
    };
  }
  const url = baseUrl('OPENAI_BASE_URL', env.OPENAI_BASE_URL || 'https://api.openai.com/v1', path);
  const key = env.OPENAI_API_KEY;
  if (!key && url.hostname === 'api.openai.com') throw new MissingApiKeyError('OPENAI_API_KEY');
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {} };
}
