import type { LiveContext } from '../../actions/types.js';
import type { LlmMessage, LlmMessageOutput, LlmMessageParams, LlmStopReason, LlmToolCall } from '../../actions/llm-types.js';
import { ConfigError, MissingApiKeyError, ProviderStreamError } from '../../errors.js';
import { exchange, parseStreamPayload, type LlmProvider } from './provider.js';
import { parseServerSentEvents } from './sse.js';
import { anthropicThinking, fieldsRefusedWhileThinking } from './thinking.js';

const provider = 'Anthropic';
const defaultBaseUrl = 'https://api.anthropic.com';
const apiVersion = '2023-06-01';
/** The Messages API requires max_tokens; this is used when the params leave it out. */
const defaultMaxTokens = 4096;

type ContentBlock = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: unknown };

interface AnthropicMessage {
  model?: string;
  content?: ContentBlock[];
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number };
}

function endpointFrom(env: LiveContext['env']): { url: URL; apiKey: string | undefined } {
  const base = env.ANTHROPIC_BASE_URL || defaultBaseUrl;
  let url: URL;
  try {
    url = new URL(`${base.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/messages`);
  } catch {
    throw new ConfigError(`ANTHROPIC_BASE_URL is not a URL: "${base}".`, { hint: 'Use the API root, e.g. https://api.anthropic.com.' });
  }
  const apiKey = env.ANTHROPIC_API_KEY || undefined;
  if (!apiKey && url.hostname === 'api.anthropic.com') throw new MissingApiKeyError('ANTHROPIC_API_KEY');
  return { url, apiKey };
}

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

const stopReasons: Record<string, LlmStopReason> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  tool_use: 'tool_use',
  stop_sequence: 'stop_sequence',
  refusal: 'content_filter',
};

export function fromAnthropicMessage(body: AnthropicMessage, requestedModel: string): LlmMessageOutput {
  const texts: string[] = [];
  const toolCalls: LlmToolCall[] = [];
  for (const block of body.content ?? []) {
    if (block.type === 'text') texts.push(block.text);
    else if (block.type === 'tool_use') toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
  }
  return {
    content: texts.length ? texts.join('') : null,
    tool_calls: toolCalls,
    stop_reason: stopReasons[body.stop_reason ?? 'end_turn'] ?? 'end_turn',
    model: body.model ?? requestedModel,
    usage: { input_tokens: body.usage?.input_tokens ?? 0, output_tokens: body.usage?.output_tokens ?? 0 },
  };
}

interface StreamEvent {
  type: string;
  index?: number;
  message?: AnthropicMessage;
  content_block?: ContentBlock;
  delta?: { type?: string; text?: string; partial_json?: string; stop_reason?: string | null };
  usage?: { input_tokens?: number; output_tokens?: number };
  error?: { type?: string; message?: string };
}

/** Follows message_start … message_stop, adding text and tool-input pieces per content block. */
async function readMessageStream(body: AsyncIterable<Uint8Array>, params: LlmMessageParams, live: LiveContext): Promise<LlmMessageOutput> {
  const message: AnthropicMessage = { content: [], usage: {} };
  // Tool input arrives as JSON text in pieces; blocks are numbered by `index`, tool calls among themselves.
  const toolInputs = new Map<number, { position: number; json: string }>();
  for await (const event of parseServerSentEvents(body)) {
    const payload = parseStreamPayload<StreamEvent>(provider, event.data);
    switch (payload.type) {
      case 'message_start':
        message.model = payload.message?.model;
        message.usage = { ...payload.message?.usage };
        break;
      case 'content_block_start': {
        const block = payload.content_block;
        if (!block || payload.index === undefined) break;
        message.content![payload.index] = block.type === 'text' ? { ...block } : { ...block, input: {} };
        if (block.type === 'tool_use') {
          const position = toolInputs.size;
          toolInputs.set(payload.index, { position, json: '' });
          live.emitDelta({ type: 'tool_call', index: position, id: block.id, name: block.name, arguments: '' });
        }
        break;
      }
      case 'content_block_delta': {
        const block = payload.index === undefined ? undefined : message.content![payload.index];
        if (block?.type === 'text' && payload.delta?.type === 'text_delta' && payload.delta.text) {
          block.text += payload.delta.text;
          live.emitDelta({ type: 'text', text: payload.delta.text });
        } else if (block?.type === 'tool_use' && payload.delta?.type === 'input_json_delta') {
          const input = toolInputs.get(payload.index!)!;
          input.json += payload.delta.partial_json ?? '';
          live.emitDelta({ type: 'tool_call', index: input.position, arguments: payload.delta.partial_json ?? '' });
        }
        break;
      }
      case 'message_delta':
        if (payload.delta?.stop_reason) message.stop_reason = payload.delta.stop_reason;
        if (payload.usage?.output_tokens !== undefined) message.usage!.output_tokens = payload.usage.output_tokens;
        if (payload.usage?.input_tokens !== undefined) message.usage!.input_tokens = payload.usage.input_tokens;
        break;
      case 'error':
        throw new ProviderStreamError(provider, `${payload.error?.type ?? 'error'}: ${payload.error?.message ?? 'an error event'}`);
      case 'message_stop': {
        for (const [index, input] of toolInputs) {
          const block = message.content![index];
          if (block?.type === 'tool_use') block.input = parseArguments(input.json);
        }
        message.content = message.content!.filter(Boolean);
        return fromAnthropicMessage(message, params.model);
      }
      default:
        break; // ping, content_block_stop
    }
  }
  throw new ProviderStreamError(provider, 'it ended before message_stop');
}

function hintFor(status: number): string | undefined {
  if (status === 401 || status === 403) return 'Check that ANTHROPIC_API_KEY holds a valid key for ANTHROPIC_BASE_URL.';
  if (status === 404) return 'Check ANTHROPIC_BASE_URL (the API root, e.g. https://api.anthropic.com) and the model name.';
  if (status === 429 || status === 529) return 'Anthropic is rate limiting or overloaded; wait and try again, or replay from the cache.';
  if (status >= 500) return 'Anthropic failed; try again later. Nothing was recorded.';
  return undefined;
}

export const anthropicMessagesProvider: LlmProvider = {
  name: provider,
  generate(params, live, settings) {
    const { url, apiKey } = endpointFrom(live.env);
    const headers: Record<string, string> = { 'anthropic-version': apiVersion, ...(apiKey && { 'x-api-key': apiKey }) };
    return exchange<AnthropicMessage>(params, live, settings, {
      call: { provider, url, headers, body: toMessagesRequest(params), hintFor },
      readStream: (body) => readMessageStream(body, params, live),
      fromAnswer: (answer) => fromAnthropicMessage(answer, params.model),
    });
  },
};
