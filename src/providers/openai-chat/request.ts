import type { LlmMessageParams } from '../../actions/llm-types.js';

/**
 * Maps the neutral params onto the Chat Completions request body. The answer is read by the
 * openai.chat codec (./codec.ts), as an SDK call's is.
 */
export function toChatRequest(params: LlmMessageParams): Record<string, unknown> {
  const messages: unknown[] = [];
  if (params.system !== undefined) messages.push({ role: 'system', content: params.system });
  for (const message of params.messages) {
    messages.push({
      role: message.role,
      content: message.content,
      ...(message.name !== undefined && { name: message.name }),
      ...(message.tool_call_id !== undefined && { tool_call_id: message.tool_call_id }),
      ...(message.tool_calls?.length && {
        tool_calls: message.tool_calls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: call.arguments },
        })),
      }),
    });
  }
  const toolChoice = params.tool_choice;
  return {
    model: params.model,
    messages,
    ...(params.temperature !== undefined && { temperature: params.temperature }),
    ...(params.max_tokens !== undefined && { max_tokens: params.max_tokens }),
    ...(params.top_p !== undefined && { top_p: params.top_p }),
    ...(params.stop !== undefined && { stop: params.stop }),
    ...(params.response_format !== undefined && { response_format: params.response_format }),
    ...(params.reasoning_effort !== undefined && { reasoning_effort: params.reasoning_effort }),
    ...(params.tools?.length && {
      tools: params.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      })),
    }),
    ...(toolChoice !== undefined && {
      tool_choice: typeof toolChoice === 'string' ? toolChoice : { type: 'function', function: { name: toolChoice.name } },
    }),
    // Usage arrives in a stream only when asked for.
    ...(params.stream && { stream: true, stream_options: { include_usage: true } }),
  };
}
