import { request } from 'undici';
import { ConfigError, MissingApiKeyError, ProviderError, ProviderUnreachableError } from '../../errors.js';
import type { LiveContext, LiveOutcome } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams, LlmStopReason, LlmToolCall } from '../../actions/llm-types.js';
import { agentFor } from '../http.js';
import { costOf, priceOf } from './prices.js';

const provider = 'OpenAI-compatible endpoint';
const defaultBaseUrl = 'https://api.openai.com/v1';

interface ChatCompletion {
  model?: string;
  choices?: Array<{
    message?: { content?: string | null; tool_calls?: Array<{ id: string; function: { name: string; arguments: string } }> };
    finish_reason?: string | null;
  }>;
  usage?: { prompt_tokens?: number; completion_tokens?: number };
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
    ...(params.tools?.length && {
      tools: params.tools.map((tool) => ({
        type: 'function',
        function: { name: tool.name, description: tool.description, parameters: tool.parameters },
      })),
    }),
    ...(toolChoice !== undefined && {
      tool_choice: typeof toolChoice === 'string' ? toolChoice : { type: 'function', function: { name: toolChoice.name } },
    }),
  };
}

const stopReasons: Record<string, LlmStopReason> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'content_filter',
};

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
    stop_reason: stopReasons[choice.finish_reason ?? 'stop'] ?? 'end_turn',
    model: body.model ?? requestedModel,
    usage: { input_tokens: body.usage?.prompt_tokens ?? 0, output_tokens: body.usage?.completion_tokens ?? 0 },
  };
}

/** The provider's own words from an error body, whatever shape it came in. */
function providerMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: string } | string; message?: string };
    if (typeof parsed.error === 'string') return parsed.error;
    if (parsed.error?.message) return parsed.error.message;
    if (parsed.message) return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  const trimmed = text.trim();
  return trimmed ? trimmed.slice(0, 500) : '(empty body)';
}

function hintFor(status: number): string | undefined {
  if (status === 401 || status === 403) return 'Check that OPENAI_API_KEY holds a valid key for OPENAI_BASE_URL.';
  if (status === 404) return 'Check OPENAI_BASE_URL (it should end at the API root, e.g. /v1) and the model name.';
  if (status === 429) return 'The provider is rate limiting you; wait and try again, or replay from the cache.';
  if (status >= 500) return 'The provider failed; try again later. Nothing was recorded.';
  return undefined;
}

async function run(params: LlmMessageParams, live: LiveContext): Promise<LiveOutcome<LlmMessageOutput>> {
  const { url, apiKey } = endpointFrom(live.env);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (apiKey) headers.authorization = `Bearer ${apiKey}`;

  let response;
  try {
    response = await request(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(toChatRequest(params)),
      dispatcher: agentFor(url),
      signal: live.signal,
    });
  } catch (error) {
    if (live.signal.aborted) throw error;
    throw new ProviderUnreachableError(provider, url.origin + url.pathname, error);
  }
  const text = await response.body.text();
  if (response.statusCode < 200 || response.statusCode >= 300) {
    throw new ProviderError(provider, response.statusCode, providerMessage(text), hintFor(response.statusCode));
  }
  let body: ChatCompletion;
  try {
    body = JSON.parse(text) as ChatCompletion;
  } catch {
    throw new ProviderError(provider, response.statusCode, `the answer is not JSON: ${text.slice(0, 200)}`);
  }
  const output = fromChatCompletion(body, params.model);
  const price = priceOf(output.model) ?? priceOf(params.model);
  if (!price) live.warn(`No price known for model "${output.model}"; its calls count as $0.`);
  return { output, usage: output.usage, costUsd: price ? costOf(price, output.usage) : 0 };
}

export const openAiChatExecutor = { run };
