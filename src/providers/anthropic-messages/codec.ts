import type { LlmMessageOutput, LlmStopReason, LlmToolCall } from '../../actions/llm-types.js';
import type { StreamDelta } from '../../actions/types.js';
import { ProviderStreamError } from '../../errors.js';
import {
  argumentPieces,
  idSeed,
  isObject,
  jsonMeans,
  numberOr,
  parseEventData,
  parseToolInput,
  sseFrame,
  stableToken,
  stringOr,
  textPieces,
  words,
  type JsonObject,
} from '../../wire/pieces.js';
import type { WireBody, WireCodec, WireResponse, WireStreamReader } from '../../wire/types.js';

const provider = 'Anthropic';

interface Block extends JsonObject {
  type: string;
}

interface AnthropicMessage {
  model?: string;
  content?: Block[];
  stop_reason?: string | null;
  usage?: { input_tokens?: number; output_tokens?: number } | null;
}

const stopReasons: Record<string, LlmStopReason> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  model_context_window_exceeded: 'max_tokens',
  tool_use: 'tool_use',
  stop_sequence: 'stop_sequence',
  // A refusal is a filtered answer.
  refusal: 'content_filter',
  // The server paused a long turn; for the caller the turn is over.
  pause_turn: 'end_turn',
};

const anthropicStopReasons: Record<LlmStopReason, string> = {
  end_turn: 'end_turn',
  max_tokens: 'max_tokens',
  tool_use: 'tool_use',
  stop_sequence: 'stop_sequence',
  content_filter: 'refusal',
};

function isText(block: Block): block is Block & { text: string } {
  return block.type === 'text' && typeof block.text === 'string';
}

function isToolUse(block: Block): block is Block & { id: string; name: string; input: unknown } {
  return block.type === 'tool_use';
}

function toNeutral(response: WireResponse): LlmMessageOutput {
  const message = response as AnthropicMessage;
  const texts: string[] = [];
  const toolCalls: LlmToolCall[] = [];
  for (const block of message.content ?? []) {
    if (isText(block)) texts.push(block.text);
    else if (isToolUse(block)) toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
  }
  return {
    content: texts.length > 0 ? texts.join('') : null,
    tool_calls: toolCalls,
    stop_reason: stopReasons[message.stop_reason ?? 'end_turn'] ?? 'end_turn',
    model: message.model ?? '',
    usage: { input_tokens: numberOr(message.usage?.input_tokens, 0), output_tokens: numberOr(message.usage?.output_tokens, 0) },
  };
}

function fromNeutral(output: LlmMessageOutput, request: WireBody): WireResponse {
  const seed = idSeed(output, request);
  const content: Block[] = [];
  if (output.content !== null) content.push({ type: 'text', text: output.content });
  output.tool_calls.forEach((call, index) => {
    content.push({
      type: 'tool_use',
      id: call.id || `toolu_01${stableToken(seed, `toolu${index}`, 22)}`,
      name: call.name,
      input: parseToolInput(call.arguments),
    });
  });
  return {
    id: `msg_01${stableToken(seed, 'msg', 22)}`,
    type: 'message',
    role: 'assistant',
    model: stringOr(request.model, output.model),
    content,
    stop_reason: anthropicStopReasons[output.stop_reason],
    // The neutral output does not say which sequence matched.
    stop_sequence: null,
    usage: {
      input_tokens: output.usage.input_tokens,
      cache_creation_input_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation: { ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      output_tokens: output.usage.output_tokens,
      service_tier: 'standard',
    },
  };
}

/** The content_block_start, deltas and content_block_stop of one block, as the API streams it. */
function blockEvents(block: Block, index: number, cut: { text?: string[]; args?: string[] }): Array<[string, JsonObject]> {
  const events: Array<[string, JsonObject]> = [];
  const start = (contentBlock: JsonObject) => events.push(['content_block_start', { type: 'content_block_start', index, content_block: contentBlock }]);
  const delta = (value: JsonObject) => events.push(['content_block_delta', { type: 'content_block_delta', index, delta: value }]);
  if (isText(block)) {
    start({ type: 'text', text: '' });
    for (const text of cut.text ?? words(block.text)) delta({ type: 'text_delta', text });
    if (Array.isArray(block.citations)) for (const citation of block.citations) delta({ type: 'citations_delta', citation });
  } else if (isToolUse(block)) {
    start({ type: 'tool_use', id: block.id, name: block.name, input: {} });
    for (const json of cut.args ?? words(JSON.stringify(block.input ?? {}))) delta({ type: 'input_json_delta', partial_json: json });
  } else if (block.type === 'thinking' && typeof block.thinking === 'string') {
    start({ type: 'thinking', thinking: '', signature: '' });
    for (const thinking of words(block.thinking)) delta({ type: 'thinking_delta', thinking });
    if (typeof block.signature === 'string') delta({ type: 'signature_delta', signature: block.signature });
  } else {
    // Blocks that do not stream in pieces (redacted thinking, server tool results) start whole.
    start(block);
  }
  events.push(['content_block_stop', { type: 'content_block_stop', index }]);
  return events;
}

function toEventStream(response: WireResponse, _request: WireBody, pieces?: readonly StreamDelta[]): string {
  const { content = [], stop_reason, stop_sequence, usage, ...message } = response as AnthropicMessage & JsonObject;
  const usageObject: JsonObject = isObject(usage) ? usage : {};
  const outputTokens = numberOr(usageObject.output_tokens, 0);
  const events: Array<[string, JsonObject]> = [
    // message_start counts the output tokens so far; message_delta brings the total.
    ['message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, stop_sequence: null, usage: { ...usageObject, output_tokens: Math.min(1, outputTokens) } } }],
    ['ping', { type: 'ping' }],
  ];
  let firstText = true;
  let toolPosition = 0;
  content.forEach((block, index) => {
    const cut: { text?: string[]; args?: string[] } = {};
    if (isText(block) && firstText) {
      firstText = false;
      cut.text = textPieces(block.text, pieces);
    } else if (isToolUse(block)) {
      // Recorded partial_json is the model's own spelling (often spaced); it replays as long as it means the same input.
      const input = block.input ?? {};
      cut.args = argumentPieces(JSON.stringify(input), toolPosition++, pieces, (joined) => jsonMeans(joined, input));
    }
    events.push(...blockEvents(block, index, cut));
  });
  events.push(
    ['message_delta', { type: 'message_delta', delta: { stop_reason: stop_reason ?? 'end_turn', stop_sequence: stop_sequence ?? null }, usage: { output_tokens: outputTokens } }],
    ['message_stop', { type: 'message_stop' }],
  );
  return events.map(([name, data]) => sseFrame(data, name)).join('');
}

interface StreamPayload {
  type?: string;
  index?: number;
  message?: JsonObject;
  content_block?: Block;
  delta?: { type?: string; text?: string; partial_json?: string; thinking?: string; signature?: string; citation?: unknown; stop_reason?: string | null; stop_sequence?: string | null };
  usage?: JsonObject;
  error?: { type?: string; message?: string };
}

function streamReader(): WireStreamReader {
  let message: JsonObject | undefined;
  const blocks: Block[] = [];
  // Tool input arrives as JSON text in pieces; tool calls are numbered among themselves for the neutral deltas.
  const toolInputs = new Map<number, { position: number; json: string }>();
  const closed = new Set<number>();
  let stopped = false;

  function delta(payload: StreamPayload): StreamDelta[] {
    const index = payload.index ?? -1;
    const block = blocks[index];
    const change = payload.delta ?? {};
    if (!block) return [];
    if (change.type === 'text_delta' && typeof change.text === 'string') {
      block.text = stringOr(block.text, '') + change.text;
      return change.text === '' ? [] : [{ type: 'text', text: change.text }];
    }
    if (change.type === 'input_json_delta') {
      const input = toolInputs.get(index);
      if (!input) return [];
      input.json += change.partial_json ?? '';
      return [{ type: 'tool_call', index: input.position, arguments: change.partial_json ?? '' }];
    }
    if (change.type === 'thinking_delta') block.thinking = stringOr(block.thinking, '') + (change.thinking ?? '');
    else if (change.type === 'signature_delta') block.signature = change.signature;
    else if (change.type === 'citations_delta') block.citations = [...(Array.isArray(block.citations) ? block.citations : []), change.citation];
    return [];
  }

  return {
    add(event) {
      const payload = parseEventData(provider, event) as StreamPayload;
      const type = payload.type ?? event.event;
      if (type === 'error') {
        throw new ProviderStreamError(provider, `${payload.error?.type ?? 'error'}: ${payload.error?.message ?? 'an error event arrived mid-stream'}`);
      }
      if (type === 'message_start') {
        message = { ...payload.message, usage: { ...(isObject(payload.message?.usage) ? payload.message.usage : {}) } };
        return [];
      }
      if (!message) return [];
      switch (type) {
        case 'content_block_start': {
          const block = payload.content_block;
          if (!block || payload.index === undefined) return [];
          blocks[payload.index] = { ...block };
          if (!isToolUse(block)) return [];
          const position = toolInputs.size;
          toolInputs.set(payload.index, { position, json: '' });
          return [{ type: 'tool_call', index: position, id: block.id, name: block.name, arguments: '' }];
        }
        case 'content_block_delta':
          return delta(payload);
        case 'content_block_stop': {
          const input = payload.index === undefined ? undefined : toolInputs.get(payload.index);
          const block = payload.index === undefined ? undefined : blocks[payload.index];
          // Input cut short by max_tokens is not valid JSON; it becomes {} as the neutral shape needs an object.
          if (input && block) block.input = parseToolInput(input.json);
          if (payload.index !== undefined) closed.add(payload.index);
          return [];
        }
        case 'message_delta': {
          if (payload.delta?.stop_reason !== undefined) message.stop_reason = payload.delta.stop_reason;
          if (payload.delta?.stop_sequence !== undefined) message.stop_sequence = payload.delta.stop_sequence;
          const usage = message.usage as JsonObject;
          // message_delta's usage counters are whole-message totals: the ones present replace, never add.
          for (const [key, value] of Object.entries(payload.usage ?? {})) if (value !== null && value !== undefined) usage[key] = value;
          return [];
        }
        case 'message_stop':
          stopped = true;
          return [];
        default:
          return []; // ping
      }
    },
    finish() {
      if (!message || !stopped) throw new ProviderStreamError(provider, 'it ended before message_stop');
      // A block that never got its content_block_stop still has the input its pieces spelled.
      for (const [index, input] of toolInputs) {
        const block = blocks[index];
        if (block && !closed.has(index)) block.input = parseToolInput(input.json);
      }
      return { ...message, content: blocks.filter(Boolean) };
    },
  };
}

/** Anthropic's error `type` for a status. */
function errorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 413) return 'request_too_large';
  if (status === 429) return 'rate_limit_error';
  if (status === 529) return 'overloaded_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

export const anthropicMessagesCodec: WireCodec = {
  api: 'anthropic.messages',
  isResponse(value): value is WireResponse {
    return isObject(value) && value.type === 'message' && Array.isArray(value.content);
  },
  toNeutral,
  fromNeutral,
  toEventStream,
  streamReader,
  // Anthropic's body has no slot for a code; the type says it.
  errorBody: (status, message) => ({ type: 'error', error: { type: errorType(status), message } }),
};
