/**
 * The OpenAI Responses API (`POST /v1/responses`) as the fake OpenAI server speaks it: the `response`
 * JSON object and its named-event SSE stream (`response.created` … `response.completed`), written by hand
 * from OpenAI's API reference (see /work/shared/WIRE.md, "OpenAI Responses"), independently of rehearse's
 * own src/wire code, so that tests against it check that code rather than echo it.
 *
 * Shapes, as documented:
 * - a message item `{ id: "msg_…", type: "message", status, role: "assistant", content: [{ type:
 *   "output_text", text, annotations: [], logprobs: [] }] }`;
 * - a function call item `{ id: "fc_…", type: "function_call", status, call_id, name, arguments }`;
 * - usage `{ input_tokens, input_tokens_details: { cached_tokens }, output_tokens, output_tokens_details:
 *   { reasoning_tokens }, total_tokens }`;
 * - every stream event has `type` and `sequence_number` (from 0) and is framed `event: <type>` +
 *   `data: <json>`; text events carry `item_id`, `output_index`, `content_index`; argument events
 *   `item_id`, `output_index`; the last event carries the whole response with its usage.
 */
import { isRecord, splitFixed, splitWords } from './server-io.js';

/** Fixed `created_at` so that answers are byte-for-byte reproducible. */
const CREATED_AT = 1700000000;
/** Function-call arguments are streamed in pieces of this many characters. */
const ARGUMENT_PIECE_LENGTH = 8;

export interface ResponsesParts {
  /** The counter the ids derive from. */
  counter: number;
  model: string;
  /** The answer text; null: no message item (a tool-call-only answer). */
  content: string | null;
  toolCalls: Array<{ callId: string; name: string; arguments: string }>;
  /** `length` makes the answer `incomplete` (max_output_tokens), anything else `completed`. */
  finishReason: string;
  usage: { input_tokens: number; output_tokens: number };
  /** The request body, whose settings a response echoes back. */
  request: Record<string, unknown>;
}

type Json = Record<string, unknown>;

function pad(n: number): string {
  return String(n).padStart(6, '0');
}

function ids(parts: ResponsesParts): { response: string; message: string; call: (index: number) => string } {
  const n = pad(parts.counter);
  return { response: `resp_fake${n}`, message: `msg_fake${n}`, call: (index) => `fc_fake${n}_${index}` };
}

function status(parts: ResponsesParts): 'completed' | 'incomplete' {
  return parts.finishReason === 'length' ? 'incomplete' : 'completed';
}

function messageItem(parts: ResponsesParts, text: string): Json {
  return {
    id: ids(parts).message,
    type: 'message',
    status: status(parts),
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [], logprobs: [] }],
  };
}

function functionCallItem(parts: ResponsesParts, index: number): Json {
  const call = parts.toolCalls[index]!;
  return { id: ids(parts).call(index), type: 'function_call', status: 'completed', arguments: call.arguments, call_id: call.callId, name: call.name };
}

function outputItems(parts: ResponsesParts): Json[] {
  const items: Json[] = [];
  if (parts.content !== null) items.push(messageItem(parts, parts.content));
  parts.toolCalls.forEach((_, index) => items.push(functionCallItem(parts, index)));
  return items;
}

function usageObject(parts: ResponsesParts): Json {
  const { input_tokens, output_tokens } = parts.usage;
  return {
    input_tokens,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: input_tokens + output_tokens,
  };
}

/** The whole (non-streaming) `response` object; the same object ends a stream in `response.completed`. */
export function responseObject(parts: ResponsesParts): Json {
  const request = parts.request;
  const echo = (key: string, fallback: unknown): unknown => (request[key] === undefined ? fallback : request[key]);
  const incomplete = status(parts) === 'incomplete';
  return {
    id: ids(parts).response,
    object: 'response',
    created_at: CREATED_AT,
    status: status(parts),
    background: false,
    error: null,
    incomplete_details: incomplete ? { reason: 'max_output_tokens' } : null,
    instructions: echo('instructions', null),
    max_output_tokens: echo('max_output_tokens', null),
    model: parts.model,
    output: outputItems(parts),
    parallel_tool_calls: echo('parallel_tool_calls', true),
    previous_response_id: echo('previous_response_id', null),
    reasoning: { effort: null, summary: null },
    service_tier: 'default',
    store: echo('store', true),
    temperature: echo('temperature', 1),
    text: { format: { type: 'text' } },
    tool_choice: echo('tool_choice', 'auto'),
    tools: echo('tools', []),
    top_p: echo('top_p', 1),
    truncation: 'disabled',
    usage: usageObject(parts),
    user: null,
    metadata: echo('metadata', {}),
  };
}

/**
 * The stream of one response, one SSE frame a string: created, in_progress, per output item its
 * added/deltas/done events, then completed (or incomplete) with the whole response and its usage.
 */
export function responseEvents(parts: ResponsesParts): string[] {
  const frames: string[] = [];
  let sequence = 0;
  const emit = (type: string, fields: Json): void => {
    frames.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...fields })}\n\n`);
  };
  const whole = responseObject(parts);
  const opening = { ...whole, status: 'in_progress', output: [], usage: null, incomplete_details: null };
  emit('response.created', { response: opening });
  emit('response.in_progress', { response: opening });

  let outputIndex = 0;
  if (parts.content !== null) {
    const item = messageItem(parts, parts.content);
    const itemId = item.id as string;
    const at = { item_id: itemId, output_index: outputIndex, content_index: 0 };
    emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', content: [] } });
    emit('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [], logprobs: [] } });
    for (const delta of splitWords(parts.content)) emit('response.output_text.delta', { ...at, delta, logprobs: [] });
    emit('response.output_text.done', { ...at, text: parts.content, logprobs: [] });
    emit('response.content_part.done', { ...at, part: (item.content as Json[])[0] });
    emit('response.output_item.done', { output_index: outputIndex, item });
    outputIndex += 1;
  }
  parts.toolCalls.forEach((call, index) => {
    const item = functionCallItem(parts, index);
    const at = { item_id: item.id as string, output_index: outputIndex };
    emit('response.output_item.added', { output_index: outputIndex, item: { ...item, status: 'in_progress', arguments: '' } });
    for (const delta of splitFixed(call.arguments, ARGUMENT_PIECE_LENGTH)) emit('response.function_call_arguments.delta', { ...at, delta });
    emit('response.function_call_arguments.done', { ...at, name: call.name, arguments: call.arguments });
    emit('response.output_item.done', { output_index: outputIndex, item });
    outputIndex += 1;
  });
  emit(status(parts) === 'incomplete' ? 'response.incomplete' : 'response.completed', { response: whole });
  return frames;
}

/**
 * The text of a Responses `input`: a string, or a list of items of which the message items count (their
 * content a string or a list of `input_text`/`output_text` parts), plus function call outputs.
 */
export function responsesInputText(input: unknown): string[] {
  if (typeof input === 'string') return [input];
  if (!Array.isArray(input)) return [];
  return input.flatMap((item): string[] => {
    if (!isRecord(item)) return [];
    if (item.type === 'function_call_output') return typeof item.output === 'string' ? [item.output] : [];
    if (typeof item.content === 'string') return [item.content];
    if (!Array.isArray(item.content)) return [];
    return item.content.flatMap((part) => (isRecord(part) && typeof part.text === 'string' ? [part.text] : []));
  });
}

/** The text of the last user message of a Responses `input` ('' when there is none). */
export function lastUserText(input: unknown): string {
  if (typeof input === 'string') return input;
  if (!Array.isArray(input)) return '';
  const last = [...input].reverse().find((item) => isRecord(item) && item.role === 'user');
  return last === undefined ? '' : responsesInputText([last]).join('');
}
