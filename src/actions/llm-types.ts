/** The provider-neutral shape of an LLM call and its answer, whatever the provider behind it. */

export type LlmRole = 'system' | 'user' | 'assistant' | 'tool';

export interface LlmToolCall {
  id: string;
  name: string;
  /** The arguments as the model wrote them (JSON text). */
  arguments: string;
}

export interface LlmMessage {
  role: LlmRole;
  content: string | null;
  /** On assistant messages that called tools. */
  tool_calls?: LlmToolCall[];
  /** On tool messages: which call this answers. */
  tool_call_id?: string;
  name?: string;
}

export interface LlmTool {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type LlmResponseFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; json_schema: { name: string; schema: Record<string, unknown>; strict?: boolean } };

/** How hard a reasoning model thinks before it answers; each API's module in src/providers/ says what its requests carry. */
export type ReasoningEffort = 'minimal' | 'low' | 'medium' | 'high';

export interface LlmMessageParams {
  model: string;
  messages: LlmMessage[];
  /** A system prompt; sent before the messages. */
  system?: string;
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
  tools?: LlmTool[];
  tool_choice?: 'auto' | 'none' | 'required' | { name: string };
  response_format?: LlmResponseFormat;
  /** Streams from the provider when live; never part of the replay key. */
  stream?: boolean;
  /** Which API serves the model; by default chosen from the model name (`claude-*` → anthropic). */
  provider?: string;
  /** OpenAI: `reasoning_effort`; Anthropic: extended thinking with a budget per level. Part of the replay key. */
  reasoning_effort?: ReasoningEffort;
}

export type LlmStopReason = 'end_turn' | 'max_tokens' | 'tool_use' | 'stop_sequence' | 'content_filter';

export interface LlmMessageOutput {
  content: string | null;
  tool_calls: LlmToolCall[];
  stop_reason: LlmStopReason;
  model: string;
  usage: { input_tokens: number; output_tokens: number };
}
