import type { LlmProviderName } from '../types.js';
import type { WireLlmParams } from '../llm-wire.js';
import { providerApi } from '../../providers/registry.js';
import type { RunOverrides } from './override-types.js';

/**
 * The overrides in the provider's own request body. The provider cannot change (the SDK speaks one
 * API); the model can, and reasoning, instructions and files go where that API takes them (each
 * API's module says where).
 */
export function applyToWireParams(params: WireLlmParams, overrides: RunOverrides, own: boolean): WireLlmParams {
  const body: WireLlmParams = { ...params };
  if (overrides.llm.model) body.model = overrides.llm.model;
  providerApi(params.api).applyOverrides(body, overrides, own);
  return body;
}

/** What a call in the wire shape used, for the result's `llm`. */
export function describeWireCall(params: WireLlmParams): { provider: LlmProviderName; model: string; reasoningEffort: string | null } {
  const api = providerApi(params.api);
  return {
    provider: api.provider,
    model: typeof params.model === 'string' ? params.model : '(no model)',
    reasoningEffort: api.reasoningEffortOf(params),
  };
}
