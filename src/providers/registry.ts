import { anthropicMessagesApi } from './anthropic-messages/api.js';
import { openAiChatApi } from './openai-chat/api.js';
import { openAiResponsesApi } from './openai-responses/api.js';
import type { ProviderApi } from './types.js';

export type { ProviderApi } from './types.js';

/**
 * The wire APIs rehearse speaks, one line each. A request is matched against them in this order
 * (the first whose path fits), and a provider's neutral calls use the first of its APIs that maps
 * neutral params.
 */
const apis = new Map<string, ProviderApi>([
  [openAiChatApi.name, openAiChatApi],
  [openAiResponsesApi.name, openAiResponsesApi],
  [anthropicMessagesApi.name, anthropicMessagesApi],
]);

/**
 * Adds an API at run time (a plugin, a test): it is then matched, replayed, mocked, forwarded and
 * served by the agents' endpoint like the built-in ones. A name already taken is refused.
 */
export function registerProviderApi(api: ProviderApi): void {
  if (apis.has(api.name)) throw new Error(`the provider API "${api.name}" is already registered.`);
  apis.set(api.name, api);
}

/** Every API, in the registry's order. */
export function providerApis(): ProviderApi[] {
  return [...apis.values()];
}

/** Every API's name, for messages that list them. */
export function providerApiNames(): string[] {
  return [...apis.keys()];
}

/** The API of this name, or undefined when there is none (params written by hand may name anything). */
export function findProviderApi(name: unknown): ProviderApi | undefined {
  return typeof name === 'string' ? apis.get(name) : undefined;
}

/** The API of a name already checked (a validated call's params); a name never registered is a bug. */
export function providerApi(name: string): ProviderApi {
  const api = apis.get(name);
  if (!api) throw new Error(`no provider API is registered as "${name}" (registered: ${providerApiNames().join(', ')}).`);
  return api;
}

/**
 * The LLM API a request calls, told by its method and path the way the SDKs build them; anything
 * else is plain HTTP. The headers may be given as a function, asked only when a path alone cannot tell.
 */
export function apiOfRequest(url: URL, method: string, headers?: Headers | (() => Headers)): ProviderApi | undefined {
  if (method.toUpperCase() !== 'POST') return undefined;
  const path = url.pathname.replace(/\/+$/, '');
  const headersOf = typeof headers === 'function' ? headers : () => headers;
  for (const api of apis.values()) if (api.matches(path, headersOf)) return api;
  return undefined;
}

/** The provider of neutral calls whose model no prefix claims: the first API's (OpenAI-compatible, which most local servers speak). */
export function defaultProvider(): string {
  return apis.values().next().value!.provider;
}

/** The provider families (what ctx.llm.message's `provider` and the run's `llm` report name), in order. */
export function providerNames(): string[] {
  return [...new Set([...apis.values()].map((api) => api.provider))];
}

/** The API that neutral ctx.llm.message calls to this provider use; undefined for a provider with none. */
export function neutralApiOf(provider: string): ProviderApi | undefined {
  for (const api of apis.values()) if (api.provider === provider && api.fromNeutralParams) return api;
  return undefined;
}
