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

interface Item extends JsonObject {
  type: string;
  id?: string;
}

interface MessageItem extends Item {
  type: 'message';
  content: Array<JsonObject & { type: string }>;
}

interface FunctionCallItem extends Item {
  type: 'function_call';
  call_id: string;
  name: string;
  arguments: string;
}

interface ResponsesAnswer {
  model?: string;
  status?: string;
  incomplete_details?: { reason?: string } | null;
  output?: Item[];
  usage?: { input_tokens?: number; output_tokens?: number } | null;
}

function isMessage(item: Item): item is MessageItem {
  return item.type === 'message' && Array.isArray(item.content);
}

function isFunctionCall(item: Item): item is FunctionCallItem {
  return item.type === 'function_call';
}

function outputOf(response: WireResponse): Item[] {
  const output = (response as ResponsesAnswer).output;
  return Array.isArray(output) ? output.filter(isObject) : [];
}

function toNeutral(response: WireResponse): LlmMessageOutput {
  const answer = response as ResponsesAnswer;
  const texts: string[] = [];
  const toolCalls: LlmToolCall[] = [];
  for (const item of outputOf(response)) {
    if (isMessage(item)) {
      for (const part of item.content) if (part.type === 'output_text' && typeof part.text === 'string') texts.push(part.text);
    } else if (isFunctionCall(item)) {
      toolCalls.push({ id: item.call_id, name: item.name, arguments: item.arguments ?? '' });
    }
  }
  const incompleteReason = answer.status === 'incomplete' ? answer.incomplete_details?.reason : undefined;
  const stopReason: LlmStopReason =
    toolCalls.length > 0
      ? 'tool_use'
      : incompleteReason === 'max_output_tokens'
        ? 'max_tokens'
        : incompleteReason === 'content_filter'
          ? 'content_filter'
          : 'end_turn';
  return {
    content: texts.length > 0 ? texts.join('') : null,
    tool_calls: toolCalls,
    stop_reason: stopReason,
    model: answer.model ?? '',
    usage: { input_tokens: numberOr(answer.usage?.input_tokens, 0), output_tokens: numberOr(answer.usage?.output_tokens, 0) },
  };
}

/** A request setting echoed back in the answer, as the API does, or its default. */
function echo(request: WireBody, key: string, fallback: unknown): unknown {
  return request[key] ?? fallback;
}

function fromNeutral(output: LlmMessageOutput, request: WireBody): WireResponse {
  const seed = idSeed(output, request);
  // A cut-off answer is `incomplete`, and so is the message it was writing.
  const incompleteReason = output.stop_reason === 'max_tokens' ? 'max_output_tokens' : output.stop_reason === 'content_filter' ? 'content_filter' : undefined;
  const status = incompleteReason ? 'incomplete' : 'completed';
  const items: Item[] = [];
  if (output.content !== null) {
    items.push({
      id: `msg_${stableToken(seed, 'msg', 48, 'hex')}`,
      type: 'message',
      status,
      content: [{ type: 'output_text', annotations: [], logprobs: [], text: output.content }],
      role: 'assistant',
    });
  }
  output.tool_calls.forEach((call, index) => {
    items.push({
      id: `fc_${stableToken(seed, `fc${index}`, 48, 'hex')}`,
      type: 'function_call',
      status: 'completed',
      arguments: call.arguments,
      call_id: call.id || `call_${stableToken(seed, `call${index}`, 24)}`,
      name: call.name,
    });
  });
  const { input_tokens: input, output_tokens: outputTokens } = output.usage;
  return {
    id: `resp_${stableToken(seed, 'resp', 48, 'hex')}`,
    object: 'response',
    created_at: nowSeconds(),
    status,
    background: false,
    error: null,
    incomplete_details: incompleteReason ? { reason: incompleteReason } : null,
    instructions: echo(request, 'instructions', null),
    max_output_tokens: echo(request, 'max_output_tokens', null),
    model: stringOr(request.model, output.model),
    output: items,
    parallel_tool_calls: echo(request, 'parallel_tool_calls', true),
    previous_response_id: echo(request, 'previous_response_id', null),
    reasoning: echo(request, 'reasoning', { effort: null, summary: null }),
    service_tier: 'default',
    store: echo(request, 'store', true),
    temperature: echo(request, 'temperature', 1),
    text: echo(request, 'text', { format: { type: 'text' } }),
    tool_choice: echo(request, 'tool_choice', 'auto'),
    tools: echo(request, 'tools', []),
    top_p: echo(request, 'top_p', 1),
    truncation: echo(request, 'truncation', 'disabled'),
    usage: {
      input_tokens: input,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: input + outputTokens,
    },
    user: echo(request, 'user', null),
    metadata: echo(request, 'metadata', {}),
  };
}

/** Numbers events as the API does (sequence_number from 0) and frames them with their type as the event name. */
class EventWriter {
  private body = '';
  private sequence = 0;

  emit(type: string, fields: JsonObject): void {
    this.body += sseFrame({ type, sequence_number: this.sequence++, ...fields }, type);
  }

  text(): string {
    return this.body;
  }
}

/** A message item: each content part added, its text in pieces, then done. */
function streamMessage(out: EventWriter, item: MessageItem, outputIndex: number, firstTextCut: () => string[] | undefined): void {
  const itemId = item.id ?? '';
  out.emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
  item.content.forEach((part, contentIndex) => {
    const at = { item_id: itemId, output_index: outputIndex, content_index: contentIndex };
    if (part.type === 'output_text' && typeof part.text === 'string') {
      out.emit('response.content_part.added', { ...at, part: { type: 'output_text', annotations: [], logprobs: [], text: '' } });
      for (const delta of firstTextCut() ?? words(part.text)) out.emit('response.output_text.delta', { ...at, delta, logprobs: [] });
      const annotations = Array.isArray(part.annotations) ? part.annotations : [];
      annotations.forEach((annotation, index) => out.emit('response.output_text.annotation.added', { ...at, annotation_index: index, annotation }));
      out.emit('response.output_text.done', { ...at, text: part.text, logprobs: [] });
    } else if (part.type === 'refusal' && typeof part.refusal === 'string') {
      out.emit('response.content_part.added', { ...at, part: { type: 'refusal', refusal: '' } });
      for (const delta of words(part.refusal)) out.emit('response.refusal.delta', { ...at, delta });
      out.emit('response.refusal.done', { ...at, refusal: part.refusal });
    } else {
      out.emit('response.content_part.added', { ...at, part });
    }
    out.emit('response.content_part.done', { ...at, part });
  });
  out.emit('response.output_item.done', { output_index: outputIndex, item });
}

function streamFunctionCall(out: EventWriter, item: FunctionCallItem, outputIndex: number, pieces: string[]): void {
  const at = { item_id: item.id ?? '', output_index: outputIndex };
  out.emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
  for (const delta of pieces) out.emit('response.function_call_arguments.delta', { ...at, delta });
  out.emit('response.function_call_arguments.done', { ...at, name: item.name, arguments: item.arguments });
  out.emit('response.output_item.done', { output_index: outputIndex, item });
}

/** A reasoning item: its summary parts streamed, its encrypted content whole. */
function streamReasoning(out: EventWriter, item: Item, outputIndex: number): void {
  const summary = Array.isArray(item.summary) ? item.summary.filter(isObject) : [];
  out.emit('response.output_item.added', { output_index: outputIndex, item: { ...item, summary: [] } });
  summary.forEach((part, summaryIndex) => {
    const at = { item_id: item.id ?? '', output_index: outputIndex, summary_index: summaryIndex };
    const text = stringOr(part.text, '');
    out.emit('response.reasoning_summary_part.added', { ...at, part: { type: 'summary_text', text: '' } });
    for (const delta of words(text)) out.emit('response.reasoning_summary_text.delta', { ...at, delta });
    out.emit('response.reasoning_summary_text.done', { ...at, text });
    out.emit('response.reasoning_summary_part.done', { ...at, part });
  });
  out.emit('response.output_item.done', { output_index: outputIndex, item });
}

function toEventStream(response: WireResponse, _request: WireBody, pieces?: readonly StreamDelta[]): string {
  const out = new EventWriter();
  const opening = { ...response, status: 'in_progress', output: [], usage: null, incomplete_details: null, error: null };
  out.emit('response.created', { response: opening });
  out.emit('response.in_progress', { response: opening });
  let textCut = false;
  // Only the first text part is cut at the recorded pieces; they are the recording of that text.
  const firstTextCut = (text: string) => () => {
    if (textCut) return undefined;
    textCut = true;
    return textPieces(text, pieces);
  };
  let toolPosition = 0;
  outputOf(response).forEach((item, outputIndex) => {
    if (isMessage(item)) {
      const firstText = item.content.find((part) => part.type === 'output_text' && typeof part.text === 'string');
      streamMessage(out, item, outputIndex, firstTextCut(stringOr(firstText?.text, '')));
    } else if (isFunctionCall(item)) {
      streamFunctionCall(out, item, outputIndex, argumentPieces(item.arguments ?? '', toolPosition++, pieces));
    } else if (item.type === 'reasoning') {
      streamReasoning(out, item, outputIndex);
    } else {
      out.emit('response.output_item.added', { output_index: outputIndex, item });
      out.emit('response.output_item.done', { output_index: outputIndex, item });
    }
  });
  const status = stringOr(response.status, 'completed');
  // The last event is named after how the response ended, and carries all of it.
  const terminal = status === 'incomplete' ? 'response.incomplete' : status === 'failed' ? 'response.failed' : 'response.completed';
  out.emit(terminal, { response });
  return out.text();
}

function streamReader(): WireStreamReader {
  let opening: JsonObject | undefined;
  let final: JsonObject | undefined;
  const items: Item[] = [];
  // Function calls are numbered among themselves for the neutral deltas, keyed by their output index.
  const toolPositions = new Map<number, number>();

  return {
    add(event) {
      const payload = parseEventData(provider, event);
      const type = stringOr(payload.type, event.event ?? '');
      const outputIndex = numberOr(payload.output_index, -1);
      switch (type) {
        case 'error': {
          // The error's fields sit on the event itself, or (from some servers) under `error`.
          const error = isObject(payload.error) ? payload.error : payload;
          const code = stringOr(error.code, stringOr(error.type, 'error'));
          throw new ProviderStreamError(provider, `${code}: ${stringOr(error.message, 'an error event arrived mid-stream')}`);
        }
        case 'response.failed': {
          const response = isObject(payload.response) ? payload.response : {};
          const error = isObject(response.error) ? response.error : {};
          throw new ProviderStreamError(provider, `the response failed: ${stringOr(error.code, 'error')}: ${stringOr(error.message, 'no message')}`);
        }
        case 'response.created':
        case 'response.in_progress':
          if (isObject(payload.response)) opening = payload.response;
          return [];
        case 'response.output_item.added': {
          if (!isObject(payload.item) || typeof payload.item.type !== 'string') return [];
          const item = payload.item as Item;
          items[outputIndex] = { ...item };
          if (!isFunctionCall(item)) return [];
          const position = toolPositions.size;
          toolPositions.set(outputIndex, position);
          return [{ type: 'tool_call', index: position, id: item.call_id, name: item.name, arguments: item.arguments ?? '' }];
        }
        case 'response.output_item.done':
          if (isObject(payload.item) && typeof payload.item.type === 'string') items[outputIndex] = payload.item as Item;
          return [];
        case 'response.output_text.delta': {
          const delta = stringOr(payload.delta, '');
          return delta === '' ? [] : [{ type: 'text', text: delta }];
        }
        case 'response.function_call_arguments.delta': {
          const position = toolPositions.get(outputIndex);
          return position === undefined ? [] : [{ type: 'tool_call', index: position, arguments: stringOr(payload.delta, '') }];
        }
        case 'response.completed':
        case 'response.incomplete':
          if (isObject(payload.response)) final = payload.response;
          return [];
        default:
          return [];
      }
    },
    finish() {
      if (!final) throw new ProviderStreamError(provider, 'it ended before response.completed');
      // The final event carries the whole answer; a server that leaves its output out gets the items it streamed.
      const output = Array.isArray(final.output) && final.output.length > 0 ? final.output : items.filter(Boolean);
      return { ...opening, ...final, output };
    },
  };
}

export const openAiResponsesCodec: WireCodec = {
  api: 'openai.responses',
  isResponse(value): value is WireResponse {
    return isObject(value) && value.object === 'response';
  },
  toNeutral,
  fromNeutral,
  toEventStream,
  streamReader,
  errorBody: openAiErrorBody,
};
