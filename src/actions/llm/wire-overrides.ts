import type { LlmProviderName } from '../types.js';
import { anthropicThinking, effortOfThinking, fieldsRefusedWhileThinking } from '../../live/llm/thinking.js';
import type { WireLlmParams } from '../llm-wire.js';
import { codecFor } from '../../wire/index.js';
import type { RunOverrides } from './overrides.js';

/** llm.message params in the second shape: an SDK call's request body plus `api` (src/actions/llm-wire.ts). */
type WireParams = WireLlmParams;

type Body = Record<string, unknown>;

/** The Messages API requires max_tokens; an SDK call always sends it, this is for a hand-written body. */
const anthropicDefaultMaxTokens = 4096;

function isRecord(value: unknown): value is Body {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `text` after `existing`; `text` begins with a blank line, which is dropped when nothing comes before it. */
function joinText(existing: string | null | undefined, text: string): string {
  return existing ? existing + text : text.trimStart();
}

/** Adds text to a message's content: a string grows, a list of parts gets one more text part. */
function withText(content: unknown, text: string, partType: 'text' | 'input_text'): unknown {
  if (Array.isArray(content)) return [...content, { type: partType, text: text.trimStart() }];
  return joinText(typeof content === 'string' ? content : undefined, text);
}

/** Adds text to the first item `isTarget` picks; with none, `added()` is put first or last. */
function intoFirst(items: unknown, isTarget: (item: Body) => boolean, text: string, partType: 'text' | 'input_text', place: 'first' | 'last', added: (text: string) => Body): unknown[] {
  const list = Array.isArray(items) ? items : [];
  const index = list.findIndex((item) => isRecord(item) && isTarget(item));
  if (index < 0) return place === 'first' ? [added(text.trimStart()), ...list] : [...list, added(text.trimStart())];
  return list.map((item, at) => (at === index ? { ...(item as Body), content: withText((item as Body).content, text, partType) } : item));
}

const userMessage = (content: string): Body => ({ role: 'user', content });
const isUser = (item: Body) => item.role === 'user' && (item.type === undefined || item.type === 'message');

function overrideChat(body: Body, overrides: RunOverrides, own: boolean): void {
  if (overrides.llm.reasoningEffort) body.reasoning_effort = overrides.llm.reasoningEffort;
  if (own && overrides.system) {
    const isSystem = (item: Body) => item.role === 'system' || item.role === 'developer';
    body.messages = intoFirst(body.messages, isSystem, overrides.system, 'text', 'first', (content) => ({ role: 'system', content }));
  }
  if (own && overrides.userText) body.messages = intoFirst(body.messages, isUser, overrides.userText, 'text', 'last', userMessage);
}

function overrideResponses(body: Body, overrides: RunOverrides, own: boolean): void {
  const effort = overrides.llm.reasoningEffort;
  if (effort) body.reasoning = { ...(isRecord(body.reasoning) ? body.reasoning : {}), effort };
  if (own && overrides.system) body.instructions = joinText(typeof body.instructions === 'string' ? body.instructions : undefined, overrides.system);
  if (own && overrides.userText) {
    body.input = Array.isArray(body.input)
      ? intoFirst(body.input, isUser, overrides.userText, 'input_text', 'last', userMessage)
      : joinText(typeof body.input === 'string' ? body.input : undefined, overrides.userText);
  }
}

function overrideAnthropic(body: Body, overrides: RunOverrides, own: boolean): void {
  const effort = overrides.llm.reasoningEffort;
  if (effort) {
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : anthropicDefaultMaxTokens;
    // A budget the SDK call already thought with is not the answer's room: take it out before adding ours.
    const previous = isRecord(body.thinking) && body.thinking.type === 'enabled' && typeof body.thinking.budget_tokens === 'number' ? body.thinking.budget_tokens : 0;
    for (const field of fieldsRefusedWhileThinking) delete body[field];
    Object.assign(body, anthropicThinking(effort, Math.max(1, maxTokens - previous)));
  }
  if (own && overrides.system) {
    body.system = Array.isArray(body.system)
      ? [...body.system, { type: 'text', text: overrides.system.trimStart() }]
      : joinText(typeof body.system === 'string' ? body.system : undefined, overrides.system);
  }
  if (own && overrides.userText) body.messages = intoFirst(body.messages, isUser, overrides.userText, 'text', 'last', userMessage);
}

/**
 * The overrides in the provider's own request body. The provider cannot change (the SDK speaks one
 * API); the model can, and reasoning, instructions and files go where that API takes them.
 */
export function applyToWireParams(params: WireParams, overrides: RunOverrides, own: boolean): WireParams {
  const body: WireParams = { ...params };
  if (overrides.llm.model) body.model = overrides.llm.model;
  if (params.api === 'openai.chat') overrideChat(body, overrides, own);
  else if (params.api === 'openai.responses') overrideResponses(body, overrides, own);
  else overrideAnthropic(body, overrides, own);
  return body;
}

/** What a call in the wire shape used, for the result's `llm`. */
export function describeWireCall(params: WireParams): { provider: LlmProviderName; model: string; reasoningEffort: string | null } {
  const effort =
    params.api === 'openai.chat'
      ? params.reasoning_effort
      : params.api === 'openai.responses'
        ? isRecord(params.reasoning) ? params.reasoning.effort : undefined
        : effortOfThinking(params.thinking);
  return {
    provider: codecFor(params.api).provider,
    model: typeof params.model === 'string' ? params.model : '(no model)',
    reasoningEffort: typeof effort === 'string' ? effort : null,
  };
}
