import type { LlmMessageOutput, LlmStopReason, LlmToolCall } from '../../actions/llm-types.js';
import type { StreamDelta } from '../../actions/types.js';
import { ProviderStreamError } from '../../errors.js';
import {
  argumentPieces,
  idSeed,
  isObject,
  nowSeconds,
  numberOr,
  openAiErrorBody,
  parseEventData,
  sseFrame,
  stableToken,
  stringOr,
  textPieces,
  words,
  type JsonObject,
} from '../../wire/pieces.js';
import type { WireBody, WireCodec, WireResponse, WireStreamReader } from '../../wire/types.js';

const provider = 'OpenAI';

interface ChatToolCall {
  id?: string;
  type?: string;
  function?: { name?: string; arguments?: string };
}

interface ChatMessage {
  role?: string;
  content?: string | Array<{ type?: string; text?: string }> | null;
  refusal?: string | null;
  tool_calls?: ChatToolCall[] | null;
}

interface ChatChoice {
  index?: number;
  message?: ChatMessage;
  finish_reason?: string | null;
}

interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
}

interface ChatCompletion {
  id?: string;
  created?: number;
  model?: string;
  service_tier?: string | null;
  system_fingerprint?: string | null;
  choices?: ChatChoice[];
  usage?: ChatUsage | null;
}

/** Chat Completions' finish_reason in the neutral terms; the live executor reads answers with it too. */
export const chatStopReasons: Readonly<Record<string, LlmStopReason>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
  content_filter: 'content_filter',
};

const finishReasons: Record<LlmStopReason, string> = {
  end_turn: 'stop',
  max_tokens: 'length',
  tool_use: 'tool_calls',
  // Chat Completions reports a matched stop sequence as a plain stop.
  stop_sequence: 'stop',
  content_filter: 'content_filter',
};

/** Message content is a string, or (from some compatible servers) a list of text parts. */
function textOf(content: ChatMessage['content']): string | null {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return null;
  const texts = content.flatMap((part) => (part.type === 'text' && typeof part.text === 'string' ? [part.text] : []));
  return texts.length > 0 ? texts.join('') : null;
}

function toNeutral(response: WireResponse): LlmMessageOutput {
  const completion = response as ChatCompletion;
  const choice = completion.choices?.[0];
  const toolCalls: LlmToolCall[] = (choice?.message?.tool_calls ?? []).map((call) => ({
    id: call.id ?? '',
    name: call.function?.name ?? '',
    arguments: call.function?.arguments ?? '',
  }));
  return {
    content: textOf(choice?.message?.content),
    tool_calls: toolCalls,
    stop_reason: chatStopReasons[choice?.finish_reason ?? 'stop'] ?? 'end_turn',
    model: completion.model ?? '',
    usage: { input_tokens: numberOr(completion.usage?.prompt_tokens, 0), output_tokens: numberOr(completion.usage?.completion_tokens, 0) },
  };
}

function fromNeutral(output: LlmMessageOutput, request: WireBody): WireResponse {
  const seed = idSeed(output, request);
  const toolCalls = output.tool_calls.map((call, index) => ({
    id: call.id || `call_${stableToken(seed, `call${index}`, 24)}`,
    type: 'function',
    function: { name: call.name, arguments: call.arguments },
  }));
  const { input_tokens: prompt, output_tokens: completion } = output.usage;
  return {
    id: `chatcmpl-${stableToken(seed, 'chatcmpl', 29)}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model: stringOr(request.model, output.model),
    choices: [
      {
        index: 0,
        message: {
          role: 'assistant',
          content: output.content,
          refusal: null,
          annotations: [],
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
        },
        logprobs: null,
        finish_reason: finishReasons[output.stop_reason],
      },
    ],
    usage: {
      prompt_tokens: prompt,
      completion_tokens: completion,
      total_tokens: prompt + completion,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: 'default',
  };
}

/** The deltas one choice streams as: role, text, refusal, each tool call (id and name first, then arguments), finish. */
function choiceDeltas(choice: ChatChoice, pieces: readonly StreamDelta[] | undefined): Array<{ delta: JsonObject; finish_reason: string | null }> {
  const message = choice.message ?? {};
  const content = textOf(message.content);
  const out: Array<{ delta: JsonObject; finish_reason: string | null }> = [];
  const push = (delta: JsonObject) => out.push({ delta, finish_reason: null });
  push({ role: 'assistant', content: content === null ? null : '', refusal: null });
  for (const text of textPieces(content ?? '', pieces)) push({ content: text });
  if (typeof message.refusal === 'string') for (const text of words(message.refusal)) push({ refusal: text });
  (message.tool_calls ?? []).forEach((call, index) => {
    const args = call.function?.arguments ?? '';
    push({ tool_calls: [{ index, id: call.id, type: 'function', function: { name: call.function?.name ?? '', arguments: '' } }] });
    for (const piece of argumentPieces(args, index, pieces)) push({ tool_calls: [{ index, function: { arguments: piece } }] });
  });
  out.push({ delta: {}, finish_reason: choice.finish_reason ?? 'stop' });
  return out;
}

function toEventStream(response: WireResponse, request: WireBody, pieces?: readonly StreamDelta[]): string {
  const completion = response as ChatCompletion;
  // With include_usage every chunk carries `usage: null` and one last chunk with no choices carries the totals.
  const includeUsage = isObject(request.stream_options) && request.stream_options.include_usage === true;
  const head = {
    id: completion.id,
    object: 'chat.completion.chunk',
    created: completion.created ?? nowSeconds(),
    model: completion.model,
    ...(completion.service_tier != null && { service_tier: completion.service_tier }),
    ...(completion.system_fingerprint != null && { system_fingerprint: completion.system_fingerprint }),
  };
  // Every chunk is the head's JSON with its own choice (and usage) after it, written by hand around the
  // parts that vary: the same bytes as stringifying each chunk whole (same keys, same order), at a
  // fraction of the cost on a replay, which renders every chunk of the answer at once.
  const headJson = JSON.stringify(head).slice(0, -1);
  const tail = includeUsage ? ',"usage":null}' : '}';
  let body = '';
  (completion.choices ?? []).forEach((choice, position) => {
    const index = choice.index ?? position;
    for (const { delta, finish_reason } of choiceDeltas(choice, position === 0 ? pieces : undefined)) {
      const choiceJson = `{"index":${JSON.stringify(index)},"delta":${JSON.stringify(delta)},"logprobs":null,"finish_reason":${JSON.stringify(finish_reason)}}`;
      body += sseFrame(`${headJson},"choices":[${choiceJson}]${tail}`);
    }
  });
  if (includeUsage && completion.usage) body += sseFrame({ ...head, choices: [], usage: completion.usage });
  return `${body}data: [DONE]\n\n`;
}

interface ChoiceState {
  content: string | null;
  /** Saw `content: ""`: an answer that is empty text, unless tool calls or text follow. */
  sawEmpty: boolean;
  refusal: string | null;
  toolCalls: Array<{ id: string; type: string; name: string; arguments: string }>;
  finishReason: string | null;
}

interface ChunkChoice {
  index?: number;
  delta?: {
    content?: string | null;
    refusal?: string | null;
    tool_calls?: Array<{ index?: number; id?: string | null; type?: string | null; function?: { name?: string | null; arguments?: string | null } }>;
  } | null;
  finish_reason?: string | null;
}

function streamReader(): WireStreamReader {
  let head: JsonObject | undefined;
  let usage: unknown;
  let done = false;
  const choices = new Map<number, ChoiceState>();
  const sawFinish = () => [...choices.values()].some((choice) => choice.finishReason !== null);

  function addChoice(choice: ChunkChoice): StreamDelta[] {
    const index = choice.index ?? 0;
    let state = choices.get(index);
    if (!state) choices.set(index, (state = { content: null, sawEmpty: false, refusal: null, toolCalls: [], finishReason: null }));
    const deltas: StreamDelta[] = [];
    const delta = choice.delta ?? {};
    if (typeof delta.content === 'string') {
      // The role chunk's "" is not text yet: a tool-call answer keeps content null, as the SDK reads it.
      if (delta.content === '') state.sawEmpty = true;
      else {
        state.content = (state.content ?? '') + delta.content;
        if (index === 0) deltas.push({ type: 'text', text: delta.content });
      }
    }
    if (typeof delta.refusal === 'string') state.refusal = (state.refusal ?? '') + delta.refusal;
    for (const piece of delta.tool_calls ?? []) {
      const position = piece.index ?? 0;
      const call = (state.toolCalls[position] ??= { id: '', type: 'function', name: '', arguments: '' });
      if (piece.id) call.id = piece.id;
      if (piece.type) call.type = piece.type;
      if (piece.function?.name) call.name += piece.function.name;
      const args = piece.function?.arguments ?? '';
      call.arguments += args;
      if (index === 0) {
        deltas.push({
          type: 'tool_call',
          index: position,
          ...(piece.id && { id: piece.id }),
          ...(piece.function?.name && { name: piece.function.name }),
          arguments: args,
        });
      }
    }
    if (choice.finish_reason) state.finishReason = choice.finish_reason;
    return deltas;
  }

  return {
    add(event) {
      if (event.data === '[DONE]') {
        done = true;
        return [];
      }
      const chunk = parseEventData(provider, event);
      if (isObject(chunk.error)) throw new ProviderStreamError(provider, stringOr(chunk.error.message, 'an error event arrived mid-stream'));
      head ??= {
        id: chunk.id,
        created: chunk.created,
        model: chunk.model,
        ...(chunk.service_tier != null && { service_tier: chunk.service_tier }),
        ...(chunk.system_fingerprint != null && { system_fingerprint: chunk.system_fingerprint }),
      };
      if (isObject(chunk.usage)) usage = chunk.usage;
      const list = Array.isArray(chunk.choices) ? (chunk.choices as ChunkChoice[]) : [];
      return list.flatMap(addChoice);
    },
    finish() {
      if (!head || (!done && !sawFinish())) throw new ProviderStreamError(provider, 'it ended before "data: [DONE]"');
      const { id, created, model, ...rest } = head;
      return {
        id,
        object: 'chat.completion',
        created,
        model,
        choices: [...choices.entries()]
          .sort(([a], [b]) => a - b)
          .map(([index, state]) => ({
            index,
            message: {
              role: 'assistant',
              content: state.content ?? (state.sawEmpty && state.toolCalls.length === 0 ? '' : null),
              refusal: state.refusal,
              ...(state.toolCalls.length > 0 && {
                tool_calls: state.toolCalls.map((call) => ({ id: call.id, type: call.type, function: { name: call.name, arguments: call.arguments } })),
              }),
            },
            logprobs: null,
            finish_reason: state.finishReason,
          })),
        ...(usage !== undefined && { usage }),
        ...rest,
      };
    },
  };
}

export const openAiChatCodec: WireCodec = {
  api: 'openai.chat',
  isResponse(value): value is WireResponse {
    return isObject(value) && (value.object === 'chat.completion' || Array.isArray(value.choices));
  },
  toNeutral,
  fromNeutral,
  toEventStream,
  streamReader,
  errorBody: openAiErrorBody,
};
