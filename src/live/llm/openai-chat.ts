import type { LiveContext } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams, LlmToolCall } from '../../actions/llm-types.js';
import { ConfigError, MissingApiKeyError, ProviderError, ProviderStreamError } from '../../errors.js';
import { exchange, parseStreamPayload, type LlmProvider } from './provider.js';
import { parseServerSentEvents } from './sse.js';
import { chatStopReasons } from '../../wire/openai-chat.js';

const provider = 'OpenAI-compatible endpoint';
const defaultBaseUrl = 'https://api.openai.com/v1';

interface ChatCompletion {
  model?: string;
  choices?: Array<{
    message?: { content?: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

interface ChatCompletionChunk {
  model?: string;
  error?: { message?: string };
  choices?: Array<{
    delta?: {
      content?: string | null;
      tool_calls?: Array<{ index: number; id?: string; function?: { name?: string; arguments?: string } }>;
    };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
}

function endpointFrom(env: LiveContext['env']): { url: URL; apiKey: string | undefined } {
  const base = env.OPENAI_BASE_URL || defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(`${base.replace(/\/+$/, '')}/chat/completions`);
  } catch {
    throw new ConfigError(`OPENAI_BASE_URL is not a URL: "${base}".`, { hint: 'Use the API root, e.g. http://127.0.0.1:11434/v1.' });
  }
  const apiKey = env.OPENAI_API_KEY || undefined;
  // Local servers (vLLM, llama.cpp, Ollama) take no key; OpenAI itself always does.
  if (!apiKey && url.hostname === 'api.openai.com') throw new MissingApiKeyError('OPENAI_API_KEY');
  return { url, apiKey };
}

/** Maps the neutral params onto the Chat Completions request body. */
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

function usageOf(usage: ChatCompletion['usage']): LlmMessageOutput['usage'] {
  return { input_tokens: usage?.prompt_tokens ?? 0, output_tokens: usage?.completion_tokens ?? 0 };
}

export function fromChatCompletion(body: ChatCompletion, requestedModel: string): LlmMessageOutput {
  const choice = body.choices?.[0];
  if (!choice) throw new ProviderError(provider, 200, 'the answer has no choices');
  const toolCalls: LlmToolCall[] = (choice.message?.tool_calls ?? []).map((call) => ({
    id: call.id,
    name: call.function.name,
    arguments: call.function.arguments,
  }));
  return {
    content: choice.message?.content ?? null,
    tool_calls: toolCalls,
    stop_reason: chatStopReasons[choice.finish_reason ?? 'stop'] ?? 'end_turn',
    model: body.model ?? requestedModel,
    usage: usageOf(body.usage),
  };
}

/** Adds up `chat.completion.chunk`s (text pieces, tool-call pieces by index) into one answer. */
async function readChatStream(body: AsyncIterable<Uint8Array>, params: LlmMessageParams, live: LiveContext): Promise<LlmMessageOutput> {
  let content: string | null = null;
  const toolCalls: LlmToolCall[] = [];
  let finishReason: string | null | undefined;
  let usage: ChatCompletionChunk['usage'];
  let model: string | undefined;
  for await (const event of parseServerSentEvents(body)) {
    if (event.data === '[DONE]') {
      return {
        content,
        tool_calls: toolCalls,
        stop_reason: chatStopReasons[finishReason ?? 'stop'] ?? 'end_turn',
        model: model ?? params.model,
        usage: usageOf(usage),
      };
    }
    const chunk = parseStreamPayload<ChatCompletionChunk>(provider, event.data);
    if (chunk.error) throw new ProviderStreamError(provider, chunk.error.message ?? 'an error event');
    model ??= chunk.model;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices?.[0];
    if (!choice) continue;
    if (choice.finish_reason) finishReason = choice.finish_reason;
    const text = choice.delta?.content;
    if (text) {
      content = (content ?? '') + text;
      live.emitDelta({ type: 'text', text });
    }
    for (const piece of choice.delta?.tool_calls ?? []) {
      const call = (toolCalls[piece.index] ??= { id: '', name: '', arguments: '' });
      if (piece.id) call.id = piece.id;
      if (piece.function?.name) call.name += piece.function.name;
      const pieceArguments = piece.function?.arguments ?? '';
      call.arguments += pieceArguments;
      live.emitDelta({
        type: 'tool_call',
        index: piece.index,
        ...(piece.id && { id: piece.id }),
        ...(piece.function?.name && { name: piece.function.name }),
        arguments: pieceArguments,
      });
    }
  }
  throw new ProviderStreamError(provider, 'it ended before "data: [DONE]"');
}

function hintFor(status: number): string | undefined {
  if (status === 401 || status === 403) return 'Check that OPENAI_API_KEY holds a valid key for OPENAI_BASE_URL.';
  if (status === 404) return 'Check OPENAI_BASE_URL (it should end at the API root, e.g. /v1) and the model name.';
  if (status === 429) return 'The provider is rate limiting you; wait and try again, or replay from the cache.';
  if (status >= 500) return 'The provider failed; try again later. Nothing was recorded.';
  return undefined;
}

export const openAiChatProvider: LlmProvider = {
  name: provider,
  generate(params, live, settings) {
    const { url, apiKey } = endpointFrom(live.env);
    return exchange<ChatCompletion>(params, live, settings, {
      call: { provider, url, headers: apiKey ? { authorization: `Bearer ${apiKey}` } : {}, body: toChatRequest(params), hintFor },
      readStream: (body) => readChatStream(body, params, live),
      fromAnswer: (answer) => fromChatCompletion(answer, params.model),
    });
  },
};
