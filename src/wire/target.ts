import { ConfigError } from '../errors.js';

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

export function baseUrl(variable: string, value: string, path: string, example: string): URL {
  try {
    return new URL(`${value.replace(/\/+$/, '')}${path}`);
  } catch {
    throw new ConfigError(`${variable} is not a URL: "${value}".`, { hint: `Use the API root, e.g. ${example}.` });
  }
}

/** Hints for a provider found through rehearse's environment: which variable to fix; `who` names it in a sentence ("The provider"). */
export function envHints(who: string, keyVariable: string, urlVariable: string, root: string) {
  return (status: number): string | undefined => {
    if (status === 401 || status === 403) return `Check that ${keyVariable} holds a valid key for ${urlVariable}.`;
    if (status === 404) return `Check ${urlVariable} (the API root, e.g. ${root}) and the model name.`;
    if (status === 429 || status === 529) return `${who} is rate limiting or overloaded; wait and try again, or replay from the cache.`;
    if (status >= 500) return `${who} failed; try again later. Nothing was recorded.`;
    return undefined;
  };
}
