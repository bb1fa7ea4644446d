/** Token counts of one action, as providers report them. */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

/** What a live executor hands back: the output, and what it cost. */
export interface LiveOutcome<Output = unknown> {
  output: Output;
  usage?: TokenUsage;
  costUsd?: number;
}

/** US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

/** Where live executors keep their state, resolved from the config for one invocation. */
export interface LiveSettings {
  /** The project folder: where rehearse.config.json is, or the cwd. */
  root: string;
  /** The local state file (sessions, the memory index): `.rehearse/state.sqlite` by default. */
  statePath: string;
  /** Where dataset files live: `fixtures/datasets` by default. */
  datasetsDir: string;
  /** The datasets this invocation names (slugs); each is searchable as namespace `dataset:<slug>`. */
  datasets: readonly string[];
  /** Model prices: the built-in table with the config's `prices` over it. */
  prices: Readonly<Record<string, ModelPrice>>;
  llm: LlmSettings;
}

/** A provider family of the API registry (src/providers/registry.ts): "openai", "anthropic". */
export type LlmProviderName = string;

export interface LlmSettings {
  /** Retries after a 429, a 5xx or a dropped connection. */
  retries: number;
  /** Per attempt, until the whole answer is read. */
  timeoutMs: number;
  /** Model-name prefixes and the provider that serves them, over the defaults (`claude` → anthropic). */
  providers: Readonly<Record<string, LlmProviderName>>;
}

/** What a live executor may use; injected so that tests can pass their own. */
export interface LiveContext {
  signal: AbortSignal;
  /** The environment live executors read their endpoints and keys from (process.env by default). */
  env: Readonly<Record<string, string | undefined>>;
  /** Warn once about something the user should know (an unknown model's price, say). */
  warn(message: string): void;
  /** The invocation's organisation: every store is scoped by it. */
  org: string;
  settings: LiveSettings;
  /** The invocation's sandbox folder for code execution: made on first use, removed when the invocation ends. */
  sandbox(): Promise<string>;
  /** Runs when the invocation ends, whatever its outcome: close a store, kill what is left. */
  onClose(cleanup: () => void | Promise<void>): void;
  /** Hands a streamed piece of this action's output (an LLM text delta) to the events as it arrives. */
  emitDelta(delta: StreamDelta): void;
}

/** A piece of a streamed LLM answer: text, or a piece of a tool call's arguments. */
export type StreamDelta =
  | { type: 'text'; text: string }
  | { type: 'tool_call'; index: number; id?: string; name?: string; arguments: string };

/**
 * An action type: how its params are checked and keyed, how it runs for real, and whether replay
 * mode caches it by default. Built-in types and user-registered types are the same shape.
 */
export interface ActionDefinition<Params = unknown, Output = unknown> {
  type: string;
  description?: string;
  /** Checks raw params and returns them typed; throws ActionParamsError with what is wrong. */
  validate?(params: unknown): Params;
  /** The params as they enter the replay key: drop what must not change the key (e.g. `stream`). */
  normalize?(params: Params): unknown;
  /** Runs the action for real (live mode, and replay misses). */
  run?(params: Params, live: LiveContext): Promise<LiveOutcome<Output>>;
  /** Whether replay mode caches this type when config `cache.actions` does not say. */
  cachedByDefault?: boolean;
  /** Expands a mock's shorthand output into the full output shape (e.g. a string into an LLM message, or into the provider's answer for an SDK call). */
  expandMockOutput?(output: unknown, params: Params, rule: { usage?: TokenUsage }): Output;
  /** An example output, used in the skeleton a missing mock error offers to paste. */
  exampleOutput?: unknown;
  /** Tokens and cost of a mocked or replayed output, when the output itself carries them. */
  usageOf?(output: Output, params?: Params): TokenUsage | undefined;
  /** Whether a call with these params streams its output (then replay and mocks emit its deltas too). */
  streams?(params: Params): boolean;
  /** The pieces a streamed output would arrive in, for replaying or mocking a stream nobody recorded. */
  deltasOf?(output: Output, params?: Params): StreamDelta[];
  /** The message an output amounts to, for the run's messages (an LLM answer is a step of the conversation). */
  messageOf?(output: Output, params?: Params): StepMessage | undefined;
}

export interface StepMessage {
  role: 'assistant' | 'tool';
  content: string | null;
  tool_calls?: Array<{ id: string; name: string; arguments: string }>;
}
