import type { BotInput } from '../bots/types.js';
import type { ModeName, SettingsOverrides } from '../config/resolve.js';
import type { Mocks } from '../mocks/types.js';
import type { FileOption } from '../actions/llm/attachments.js';
import type { ErrorInfo, RehearseEvent, RunMessage } from './events.js';
import type { LlmUse } from '../actions/llm/llm-report.js';
import type { LlmOverrides } from '../actions/llm/override-types.js';
import type { BotOutputFormat } from './output-schema.js';

export type { FileOption, LlmOverrides, LlmUse, BotOutputFormat };

export type OutputFormat = 'events' | 'text' | 'json';

export interface InvokeOptions extends SettingsOverrides {
  /** The prompt, or the whole input: { prompt, messages, parameters }. */
  input?: string | Partial<BotInput>;
  /** Named values for the bot (merged over input.parameters). */
  parameters?: Record<string, unknown>;
  /** Continues a session; a new id is made when none is given. */
  sessionId?: string;
  /** Datasets to search (`fixtures/datasets/<slug>.jsonl|csv|md|txt`), as namespace `dataset:<slug>`. */
  datasets?: string[];
  /** Mocks for manual mode, or the path of a mocks JSON file. */
  mocks?: Mocks | string;
  /** What `result.formatted` holds: the events (default), text, or a JSON summary. */
  format?: OutputFormat;
  /** With format 'text': every step, its source, duration and cost. */
  verbose?: boolean;
  /** Print each event to stderr as it happens, or hand it to this function. */
  printEvents?: boolean | ((event: RehearseEvent) => void);
  /** Ends the invocation as failed after this long: 120000 by default, 600000 at most. */
  timeoutMs?: number;
  /** Cancels the invocation. */
  signal?: AbortSignal;
  /** The environment to read REHEARSE_* settings and provider keys from (process.env by default). */
  env?: Readonly<Record<string, string | undefined>>;

  // ---- per-invocation options (see README "Per-invocation options") ----
  /**
   * Overrides of every llm.message of the run, sub-agents included. They are part of what is keyed and
   * recorded: another model is another recording. `result.llm` reports what was used.
   */
  llm?: LlmOverrides;
  /** Behavioural instructions appended to the bot's: on input.instructions, and to the system prompt of its own llm.message calls. */
  instructions?: string;
  /** Facts for this run: on input.additionalContext, and to the system prompt of its own llm.message calls. */
  additionalContext?: string;
  /**
   * Text files for the bot (paths relative to the cwd, or inline content), at most 1 MiB each: on
   * input.files, and appended to the first user message of its own llm.message calls unless
   * disableAttachmentInjection.
   */
  files?: FileOption[];
  /** Hand the files to the bot only (input.files), without adding them to its LLM calls. */
  disableAttachmentInjection?: boolean;
  /** The output the caller wants (input.outputFormat); with 'json' a non-JSON output fails the run (OUTPUT_NOT_JSON). */
  outputFormat?: BotOutputFormat;
  /** A JSON Schema the final output (parsed when a JSON string) must match, else the run fails (OUTPUT_SCHEMA_MISMATCH). */
  outputSchema?: Record<string, unknown>;
}

export interface StreamingInvokeOptions extends InvokeOptions {
  /** Yield events as they happen; the last item is the result. */
  stream: true;
}

export interface CacheSummary {
  hits: number;
  misses: number;
  recorded: number;
  savedCostUsd: number;
}

/** The snake_case summary of format 'json'. */
export interface JsonSummary {
  invocation_id: string;
  session_id: string;
  bot_id: string;
  bot_version: string;
  mode: ModeName;
  status: 'completed' | 'failed';
  response_content: string | null;
  input_tokens: number;
  output_tokens: number;
  total_cost_usd: number;
  duration_ms: number;
  cache: { hits: number; misses: number; recorded: number; saved_cost_usd: number };
  error: ErrorInfo | null;
  llm: Array<{ provider: string; model: string; reasoning_effort: string | null; calls: number }>;
}

export type Formatted = RehearseEvent[] | string | JsonSummary;

export interface InvokeResult<Output = unknown> {
  success: boolean;
  status: 'completed' | 'failed';
  /** The terminal result of the run. */
  result: { status: 'completed' | 'failed'; output: Output | undefined; error: ErrorInfo | undefined };
  /** Every message: the input, each model answer along the way, the final output; each with its bot path. */
  messages: RunMessage[];
  events: RehearseEvent[];
  error: ErrorInfo | undefined;
  invocationId: string;
  sessionId: string;
  bot: { key: string; version: string };
  mode: ModeName;
  org: string;
  usage: { inputTokens: number; outputTokens: number };
  /** What the live calls of this run cost. */
  costUsd: number;
  durationMs: number;
  cache: CacheSummary;
  /** The models the run's llm.message calls used (after overrides), distinct, in order of first use. */
  llm: LlmUse[];
  /** The result in the requested format. */
  formatted: Formatted;
}

export type StreamItem = RehearseEvent | { type: 'result'; result: InvokeResult };

/** Events as they happen, ending with `{ type: 'result', result }`; `result` resolves to the same result. */
export interface InvokeStream extends AsyncIterable<StreamItem> {
  result: Promise<InvokeResult>;
}
