import type { LlmMessage, LlmMessageParams } from '../llm-types.js';
import { isWireParams } from '../llm-wire.js';
import type { RunOverrides } from './override-types.js';
import { applyToWireParams } from './wire-overrides.js';

function withUserText(messages: readonly LlmMessage[], text: string): LlmMessage[] {
  const index = messages.findIndex((message) => message.role === 'user');
  if (index < 0) return [...messages, { role: 'user', content: text.trimStart() }];
  return messages.map((message, at) => (at === index ? { ...message, content: message.content ? message.content + text : text.trimStart() } : message));
}

function applyToNeutral(params: LlmMessageParams, overrides: RunOverrides, own: boolean): LlmMessageParams {
  const { provider, model, reasoningEffort } = overrides.llm;
  return {
    ...params,
    ...(model && { model }),
    ...(provider && { provider }),
    ...(reasoningEffort && { reasoning_effort: reasoningEffort }),
    ...(own && overrides.system && { system: params.system ? params.system + overrides.system : overrides.system.trimStart() }),
    ...(own && overrides.userText && { messages: withUserText(params.messages, overrides.userText) }),
  };
}

/**
 * Applies a run's overrides to llm.message params of either shape (the neutral `{ model, messages,
 * system }`, or a provider's request body with `api`), returning new params: the bot's object is left
 * as it was. `own` is true for the invoked bot's own calls, false for a sub-agent's.
 */
export function applyRunOverrides(params: unknown, overrides: RunOverrides, own: boolean): unknown {
  if (isWireParams(params)) return applyToWireParams(params, overrides, own);
  return applyToNeutral(params as LlmMessageParams, overrides, own);
}
