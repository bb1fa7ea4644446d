import type { LlmMessage, LlmMessageParams } from '../../actions/llm-types.js';
import { anthropicThinking, fieldsRefusedWhileThinking } from './thinking.js';

/** The Messages API requires max_tokens; this is used when the params leave it out. */
const defaultMaxTokens = 4096;

function parseArguments(text: string): unknown {
  try {
    return text ? (JSON.parse(text) as unknown) : {};
  } catch {
    return {};
  }
}

/** Neutral messages to Anthropic's: tool results ride in user turns, tool calls are content blocks. */
function toAnthropicMessages(messages: readonly LlmMessage[]): { system: string[]; messages: unknown[] } {
  const system: string[] = [];
  const out: Array<{ role: 'user' | 'assistant'; content: unknown[] }> = [];
  const push = (role: 'user' | 'assistant', block: unknown) => {
    const last = out.at(-1);
    // The API wants turns to alternate; consecutive blocks of one role join one turn.
    if (last?.role === role) last.content.push(block);
    else out.push({ role, content: [block] });
  };
  for (const message of messages) {
    if (message.role === 'system') {
      if (message.content) system.push(message.content);
    } else if (message.role === 'tool') {
      push('user', { type: 'tool_result', tool_use_id: message.tool_call_id ?? '', content: message.content ?? '' });
    } else {
      if (message.content) push(message.role, { type: 'text', text: message.content });
      for (const call of message.tool_calls ?? []) {
        push('assistant', { type: 'tool_use', id: call.id, name: call.name, input: parseArguments(call.arguments) });
      }
    }
  }
  return { system, messages: out };
}

/**
 * The neutral params as an Anthropic Messages request body. The answer is read by the
 * anthropic.messages codec (./codec.ts), as an SDK call's is.
 */
export function toMessagesRequest(params: LlmMessageParams): Record<string, unknown> {
  const { system, messages } = toAnthropicMessages(params.messages);
  if (params.system !== undefined) system.unshift(params.system);
  const choice = params.tool_choice;
  const request: Record<string, unknown> = {
    model: params.model,
    max_tokens: params.max_tokens ?? defaultMaxTokens,
    messages,
    ...(system.length > 0 && { system: system.join('\n\n') }),
    ...(params.temperature !== undefined && { temperature: params.temperature }),
    ...(params.top_p !== undefined && { top_p: params.top_p }),
    ...(params.stop !== undefined && { stop_sequences: params.stop }),
    ...(params.tools?.length && {
      tools: params.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.parameters })),
    }),
    ...(choice !== undefined && {
      tool_choice:
        choice === 'auto' ? { type: 'auto' } : choice === 'required' ? { type: 'any' } : choice === 'none' ? { type: 'none' } : { type: 'tool', name: choice.name },
    }),
    ...(params.stream && { stream: true }),
  };
  if (params.reasoning_effort === undefined) return request;
  for (const field of fieldsRefusedWhileThinking) delete request[field];
  return { ...request, ...anthropicThinking(params.reasoning_effort, params.max_tokens ?? defaultMaxTokens) };
}
