import type { LlmProviderName, LlmSettings } from '../../actions/types.js';
import type { LlmMessageParams } from '../../actions/llm-types.js';

/** Model-name prefixes served by a provider other than the default (OpenAI-compatible). */
export const defaultProviders: Readonly<Record<string, LlmProviderName>> = { claude: 'anthropic' };

/** The `provider` param when given, else the longest configured prefix of the model name, else OpenAI-compatible. */
export function chooseProvider(params: LlmMessageParams, settings: LlmSettings): LlmProviderName {
  if (params.provider) return params.provider;
  let best: string | undefined;
  for (const prefix of Object.keys(settings.providers)) {
    if (params.model.startsWith(prefix) && (!best || prefix.length > best.length)) best = prefix;
  }
  return best === undefined ? 'openai' : (settings.providers[best] ?? 'openai');
}
