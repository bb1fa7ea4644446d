import type { LlmProviderName, LlmSettings } from '../../actions/types.js';
import type { LlmMessageParams } from '../../actions/llm-types.js';
import { defaultProvider, providerApis } from '../../providers/registry.js';

/** Model-name prefixes served by a provider other than the default, as each registered API claims them (`claude` → anthropic). */
export function defaultProviders(): Readonly<Record<string, LlmProviderName>> {
  const providers: Record<string, LlmProviderName> = {};
  for (const api of providerApis()) for (const prefix of api.modelPrefixes ?? []) providers[prefix] = api.provider;
  return providers;
}

/** The `provider` param when given, else the longest configured prefix of the model name, else the registry's default (OpenAI-compatible). */
export function chooseProvider(params: LlmMessageParams, settings: LlmSettings): LlmProviderName {
  if (params.provider) return params.provider;
  let best: string | undefined;
  for (const prefix of Object.keys(settings.providers)) {
    if (params.model.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? defaultProvider() : (settings.providers[best] ?? defaultProvider());
}
