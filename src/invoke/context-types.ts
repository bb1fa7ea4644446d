import type { CodeExecOutput, CodeExecParams, MemoryAddOutput, MemoryAddParams, MemorySearchOutput, MemorySearchParams } from '../actions/builtin-types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../actions/llm-types.js';
import type { StreamDelta } from '../actions/types.js';
import type { Bot, BotInput } from '../bots/types.js';
import type { ModeName } from '../config/resolve.js';

/**
 * What a bot's run(input, ctx) may use. Every action goes through here, and the mode decides where
 * its result comes from: the bot's code is the same live, in replay and in manual mode.
 */
export interface LlmStream extends AsyncIterable<StreamDelta> {
  /** The whole answer, once the stream has ended. */
  output: Promise<LlmMessageOutput>;
}

export interface BotContext {
  readonly invocationId: string;
  readonly sessionId: string;
  readonly mode: ModeName;
  readonly org: string;
  readonly bot: { readonly key: string; readonly version: string };
  /** Aborted when the invocation times out or is cancelled; pass it to your own slow work. */
  readonly signal: AbortSignal;
  readonly llm: {
    message(params: LlmMessageParams): Promise<LlmMessageOutput>;
    /** The same call, streamed: its pieces as they arrive (live) or as recorded (replay, mocks), then `output`. */
    stream(params: LlmMessageParams): LlmStream;
  };
  readonly codeexec: { run(params: CodeExecParams): Promise<CodeExecOutput> };
  readonly memory: {
    search(params: MemorySearchParams): Promise<MemorySearchOutput>;
    add(params: MemoryAddParams): Promise<MemoryAddOutput>;
  };
  /**
   * Runs another bot (a sub-agent) inside this invocation, with the same mode, mocks and cache, and
   * returns its output. Its actions are recorded under its own bot id; its events carry a nested path.
   */
  invoke<Output = unknown>(bot: Bot<Output> | string, input?: string | Partial<BotInput>): Promise<Output>;
  /**
   * A standard fetch to hand your SDK: `new OpenAI({ fetch: ctx.fetch })`, `new Anthropic({ fetch: ctx.fetch })`,
   * `createOpenAI({ fetch: ctx.fetch })`. Its LLM calls become `llm.message` actions (recorded, replayed
   * and mocked like any other); other requests become `http.fetch` actions.
   */
  fetch(input: string | URL | Request, init?: RequestInit): Promise<Response>;
  /** Any action type, built in or registered with registerAction(). */
  act<Output = unknown>(type: string, params: unknown): Promise<Output>;
  /** A log line in the events (not on stdout). */
  log(message: string, data?: unknown): void;
}
