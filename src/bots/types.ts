import type { CodeExecOutput, CodeExecParams, MemoryAddOutput, MemoryAddParams, MemorySearchOutput, MemorySearchParams } from '../actions/builtin-types.js';
import type { LlmMessage, LlmMessageOutput, LlmMessageParams } from '../actions/llm-types.js';
import type { Attachment } from '../actions/llm/attachments.js';
import type { StreamDelta } from '../actions/types.js';
import type { ModeName } from '../config/resolve.js';

/** What a bot receives: the prompt, the conversation so far, and named parameters. */
export interface BotInput {
  prompt: string;
  /** Earlier turns of the session, oldest first (empty for a new session). */
  messages: LlmMessage[];
  parameters: Record<string, unknown>;
  /**
   * Per-invocation options (InvokeOptions of the same names), on the invoked bot's input only. Instructions,
   * context and (unless disableAttachmentInjection) files are also added to its llm.message calls already;
   * they are here for the bot's own logic and tools.
   */
  instructions?: string;
  additionalContext?: string;
  files?: Attachment[];
  /** The output the caller asked for; with 'json' the run fails unless the output is JSON. */
  outputFormat?: 'text' | 'markdown' | 'json';
  /** The JSON Schema the output is validated against when the run ends. */
  outputSchema?: Record<string, unknown>;
}

interface BotDefinitionBase {
  /** A slug that names the bot: `support-bot`. It is the `bot_id` of every replay key. */
  key: string;
  description?: string;
  /**
   * The bot's version, part of every replay key: change it and its recordings are re-made.
   * Leave both out to use a hash of the bot's source file (for a command: of the command and the
   * files it names), which changes whenever the file does.
   */
  version?: string;
  updatedAt?: string | Date;
  /** Datasets the bot always searches (`fixtures/datasets/<slug>.*`), beside those an invocation names. */
  datasets?: string[];
}

/** A bot written in TypeScript or JavaScript against its context. */
export interface CodeBotDefinition<Output = unknown> extends BotDefinitionBase {
  run(input: BotInput, ctx: BotContext): Promise<Output> | Output;
  command?: never;
}

/**
 * An agent in any language, run as a program: the prompt on its stdin, its answer from its stdout.
 * Its LLM SDK is pointed at a local endpoint (OPENAI_BASE_URL, ANTHROPIC_BASE_URL) that records,
 * replays and mocks its calls.
 */
export interface CommandBotDefinition extends BotDefinitionBase {
  /** The program and its arguments, e.g. ['python3', 'agent.py']; no shell. */
  command: readonly string[];
  /** Where it runs: relative to the file that defines the bot (or the config file), that folder by default. */
  cwd?: string;
  /** More environment variables for it (secrets are never passed on from rehearse's own environment). */
  env?: Readonly<Record<string, string>>;
  run?: never;
}

export type BotDefinition<Output = unknown> = CodeBotDefinition<Output> | CommandBotDefinition;

export const botBrand = Symbol.for('rehearse.bot');

export interface Bot<Output = unknown> extends Readonly<BotDefinitionBase> {
  readonly [botBrand]: true;
  run(input: BotInput, ctx: BotContext): Promise<Output> | Output;
  /** For an agent run as a program: its command line, absolute working folder and extra environment. */
  readonly command?: { readonly argv: readonly string[]; readonly cwd: string; readonly env: Readonly<Record<string, string>> };
  /** The file that defined the bot, when it could be told; its hash is the default version. */
  readonly sourceFile: string | undefined;
}

export function isBot(value: unknown): value is Bot {
  return typeof value === 'object' && value !== null && (value as { [botBrand]?: unknown })[botBrand] === true;
}

// The context a bot runs with lives here, beside Bot: each names the other (ctx.invoke takes a Bot).

export interface LlmStream extends AsyncIterable<StreamDelta> {
  /** The whole answer, once the stream has ended. */
  output: Promise<LlmMessageOutput>;
}

/**
 * What a bot's run(input, ctx) may use. Every action goes through here, and the mode decides where
 * its result comes from: the bot's code is the same live, in replay and in manual mode.
 */
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
