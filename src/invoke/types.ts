import type { BotInput } from '../bots/types.js';
import type { ModeName, SettingsOverrides } from '../config/resolve.js';
import type { Mocks } from '../mocks/types.js';
import type { ErrorInfo, RehearseEvent, RunMessage } from './events.js';

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
  /** The result in the requested format. */
  formatted: Formatted;
}

export type StreamItem = RehearseEvent | { type: 'result'; result: InvokeResult };

/** Events as they happen, ending with `{ type: 'result', result }`; `result` resolves to the same result. */
export interface InvokeStream extends AsyncIterable<StreamItem> {
  result: Promise<InvokeResult>;
}
