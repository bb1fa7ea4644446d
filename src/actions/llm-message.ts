import { ActionParamsError } from '../errors.js';
import { runLlmMessage } from '../live/llm/run.js';
import { neutralApiOf, providerNames } from '../providers/registry.js';
import type { WireResponse } from '../wire/types.js';
import type { ActionDefinition, StreamDelta, TokenUsage } from './types.js';
import type { LlmMessageOutput, LlmMessageParams, LlmRole } from './llm-types.js';
import { expandWireMock, isWireParams, neutralOutput, normalizeWire, runWireFromEnv, validateWire, type WireLlmParams } from './llm-wire.js';

/** Neutral params (ctx.llm.message), or an SDK's request body (ctx.fetch, an agent's local endpoint). */
type LlmParams = LlmMessageParams | WireLlmParams;
/** The neutral answer, or the provider's whole answer to an SDK call. */
type LlmOutput = LlmMessageOutput | WireResponse;

const roles: ReadonlySet<string> = new Set<LlmRole>(['system', 'user', 'assistant', 'tool']);

function fail(problem: string): never {
  throw new ActionParamsError('llm.message', problem);
}

/**
 * Checks the fields that decide what the provider is asked. Hand-written rather than a schema
 * library because it runs on every replay hit, where it must cost next to nothing and must not copy.
 */
function validate(raw: unknown): LlmParams {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('params must be an object like { model, messages }.');
  if (isWireParams(raw)) return validateWire(raw);
  const params = raw as Partial<LlmMessageParams>;
  if (typeof params.model !== 'string' || params.model === '') fail('"model" must be a non-empty string, e.g. "gpt-4o-mini".');
  if (!Array.isArray(params.messages) || params.messages.length === 0) {
    fail('"messages" must be a non-empty list of { role, content }.');
  }
  params.messages.forEach((message, index) => {
    if (message === null || typeof message !== 'object') fail(`messages[${index}] must be an object { role, content }.`);
    if (!roles.has(message.role)) fail(`messages[${index}].role is ${JSON.stringify(message.role)}; use one of system, user, assistant, tool.`);
    if (message.content !== null && typeof message.content !== 'string') {
      fail(`messages[${index}].content must be a string (or null on an assistant message with tool calls).`);
    }
  });
  if (params.system !== undefined && typeof params.system !== 'string') fail('"system" must be a string.');
  if (params.temperature !== undefined && typeof params.temperature !== 'number') fail('"temperature" must be a number.');
  if (params.max_tokens !== undefined && (!Number.isInteger(params.max_tokens) || params.max_tokens <= 0)) {
    fail('"max_tokens" must be a positive integer.');
  }
  if (params.provider !== undefined && (typeof params.provider !== 'string' || !neutralApiOf(params.provider))) {
    fail(`"provider" is ${JSON.stringify(params.provider)}; use ${providerNames().filter((name) => neutralApiOf(name)).map((name) => `"${name}"`).join(' or ')}.`);
  }
  if (params.stream !== undefined && typeof params.stream !== 'boolean') fail('"stream" must be true or false.');
  if (params.tools !== undefined && !Array.isArray(params.tools)) fail('"tools" must be a list of { name, description, parameters }.');
  return params as LlmMessageParams;
}

/** `stream` only changes how the answer travels, not what it is, so it never enters the key. */
function normalize(params: LlmParams): unknown {
  if (isWireParams(params)) return normalizeWire(params);
  if (params.stream === undefined) return params;
  const { stream: _stream, ...rest } = params;
  return rest;
}

/** A mock may give just the text; everything else gets neutral defaults. */
function expandNeutralMock(output: unknown, rule: { usage?: TokenUsage } = {}): LlmMessageOutput {
  if (typeof output === 'string') output = { content: output };
  if (output === null || typeof output !== 'object') {
    throw new ActionParamsError('llm.message', 'a mocked output must be a string or { content, tool_calls?, stop_reason?, usage? }.');
  }
  const partial = output as Partial<LlmMessageOutput>;
  const toolCalls = partial.tool_calls ?? [];
  return {
    content: partial.content ?? null,
    tool_calls: toolCalls,
    stop_reason: partial.stop_reason ?? (toolCalls.length ? 'tool_use' : 'end_turn'),
    model: partial.model ?? 'mock',
    usage: partial.usage ?? rule.usage ?? { input_tokens: 0, output_tokens: 0 },
  };
}

/** A whole answer as the pieces a stream would bring: words of the text, then each tool call in one piece. */
function deltasOf(output: LlmMessageOutput): StreamDelta[] {
  const deltas: StreamDelta[] = (output.content?.match(/\s*\S+\s*/g) ?? []).map((text) => ({ type: 'text', text }));
  output.tool_calls.forEach((call, index) => deltas.push({ type: 'tool_call', index, id: call.id, name: call.name, arguments: call.arguments }));
  return deltas;
}

/** A mock rule's own `usage` (beside `output`) counts as the answer's usage unless the output gives one. */
function expandMockOutput(output: unknown, params: LlmParams, rule: { usage?: TokenUsage }): LlmOutput {
  const expandNeutral = (given: unknown) => expandNeutralMock(given, rule);
  return isWireParams(params) ? expandWireMock(output, params, expandNeutral) : expandNeutral(output);
}

export const llmMessageAction: ActionDefinition<LlmParams, LlmOutput> = {
  type: 'llm.message',
  description: 'One call to an LLM: messages in, a message (text and tool calls) out.',
  cachedByDefault: true,
  validate,
  normalize,
  run: (params, live) => (isWireParams(params) ? runWireFromEnv(params, live) : runLlmMessage(params, live)),
  expandMockOutput,
  exampleOutput: { content: 'The answer the model should give.' },
  usageOf: (output, params) => neutralOutput(output, params).usage,
  streams: (params) => params.stream === true,
  deltasOf: (output, params) => deltasOf(neutralOutput(output, params)),
  messageOf: (output, params) => {
    const { content, tool_calls } = neutralOutput(output, params);
    return { role: 'assistant', content, ...(tool_calls.length > 0 && { tool_calls }) };
  },
};
