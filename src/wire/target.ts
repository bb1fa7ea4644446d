import type { LiveContext } from '../actions/types.js';
import { ConfigError, MissingApiKeyError } from '../errors.js';
import { apiPaths } from './route.js';
import type { WireApi } from './types.js';

/** Where a recorded SDK call goes when it runs live, with the headers (keys included) it goes with; never stored. */
export interface WireTarget {
  url: URL;
  headers: Record<string, string>;
  /** What to do about an HTTP status from this provider, when there is more to say than the status. */
  hintFor?(status: number): string | undefined;
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

function baseUrl(variable: string, value: string, path: string, example: string): URL {
  try {
    return new URL(`${value.replace(/\/+$/, '')}${path}`);
  } catch {
    throw new ConfigError(`${variable} is not a URL: "${value}".`, { hint: `Use the API root, e.g. ${example}.` });
  }
}

/** Hints for a provider found through rehearse's environment: which variable to fix. */
function envHints(provider: 'OpenAI' | 'Anthropic', keyVariable: string, urlVariable: string, root: string) {
  return (status: number): string | undefined => {
    if (status === 401 || status === 403) return `Check that ${keyVariable} holds a valid key for ${urlVariable}.`;
    if (status === 404) return `Check ${urlVariable} (the API root, e.g. ${root}) and the model name.`;
    if (status === 429 || status === 529) return `${provider === 'OpenAI' ? 'The provider' : 'Anthropic'} is rate limiting or overloaded; wait and try again, or replay from the cache.`;
    if (status >= 500) return `${provider === 'OpenAI' ? 'The provider' : 'Anthropic'} failed; try again later. Nothing was recorded.`;
    return undefined;
  };
}

/**
 * The provider rehearse's own environment names (base URL and key): for ctx.llm.message, and behind
 * an agent's local endpoint (the agent only ever sees dummies), with the API version headers the
 * agent's SDK chose.
 */
export function targetFromEnv(api: WireApi, env: LiveContext['env'], fromAgent: Headers = new Headers()): WireTarget {
  const path = apiPaths[api];
  if (api === 'anthropic.messages') {
    // The API root, with or without its /v1: both are written in the wild.
    const root = (env.ANTHROPIC_BASE_URL || 'https://api.anthropic.com').replace(/\/+$/, '').replace(/\/v1$/, '');
    const url = baseUrl('ANTHROPIC_BASE_URL', root, path, 'https://api.anthropic.com');
    const key = env.ANTHROPIC_API_KEY;
    if (!key && url.hostname === 'api.anthropic.com') throw new MissingApiKeyError('ANTHROPIC_API_KEY');
    const beta = fromAgent.get('anthropic-beta');
    return {
      url,
      headers: { 'anthropic-version': fromAgent.get('anthropic-version') ?? '2023-06-01', ...(beta && { 'anthropic-beta': beta }), ...(key && { 'x-api-key': key }) },
      hintFor: envHints('Anthropic', 'ANTHROPIC_API_KEY', 'ANTHROPIC_BASE_URL', 'https://api.anthropic.com'),
    };
  }
  const url = baseUrl('OPENAI_BASE_URL', env.OPENAI_BASE_URL || 'https://api.openai.com/v1', path, 'http://127.0.0.1:11434/v1');
  const key = env.OPENAI_API_KEY;
  if (!key && url.hostname === 'api.openai.com') throw new MissingApiKeyError('OPENAI_API_KEY');
  return { url, headers: key ? { authorization: `Bearer ${key}` } : {}, hintFor: envHints('OpenAI', 'OPENAI_API_KEY', 'OPENAI_BASE_URL', 'https://api.openai.com/v1') };
}
