import type { ActionDefinition, LiveContext, LiveOutcome, StreamDelta, TokenUsage } from '../actions/types.js';
import type { ReplayCache } from '../cache/replay-cache.js';
import type { ModeName } from '../config/resolve.js';
import type { MockServer } from '../mocks/mock-server.js';

/** Where an action's result came from: run for real, a recording, or a mock. */
export type ActionSource = 'live' | 'cache' | 'mock';

/** The bot an action is performed for: its id and version key its recordings. */
export interface ActionBot {
  id: string;
  version: string;
  /** `support-bot > refund-checker` for a sub-agent. */
  path: string;
}

export interface ActionCall {
  definition: ActionDefinition;
  /** Validated params, as the bot passed them. */
  params: unknown;
  bot: ActionBot;
  /** Emits a streamed piece of this action's output as an `action.delta` event. */
  emitDelta(delta: StreamDelta): void;
  /** How this one call runs for real, when not by its type's executor (an SDK request forwarded where it was sent). */
  runLive?: LiveRunner;
}

/**
 * Runs one call for real; the LiveContext's emitDelta is the call's own. It gets the params as the
 * dispatcher will key them (after the run's overrides), which may differ from what the caller sent.
 */
export type LiveRunner = (live: LiveContext, params: unknown) => Promise<LiveOutcome>;

export interface ModeOutcome {
  source: ActionSource;
  output: unknown;
  usage: TokenUsage | undefined;
  /** What this call cost now: 0 for a cache hit or a mock. */
  costUsd: number;
  cacheKey?: string;
  /** A replay miss that ran live and was stored. */
  recorded?: boolean;
  /** A replay hit: the recorded call's cost. */
  savedCostUsd?: number;
  /** A recording whose params or output had secrets replaced before they were written. */
  redacted?: boolean;
  /** A recording older than maxAge, replaced by this live call. */
  expired?: boolean;
}

/** Everything a mode may need for one invocation; each mode uses its part. */
export interface RunState {
  live: LiveContext;
  cache: ReplayCache | undefined;
  mocks: MockServer | undefined;
  refresh: boolean;
  strict: boolean;
  cachedActions: ReadonlySet<string> | undefined;
  cacheIgnore: readonly string[];
  /** How many times each first-occurrence key was seen in this invocation. */
  occurrences: Map<string, number>;
  /** Replay hits of this invocation by key, written to the state file's usage table at the end. */
  cacheHits: Map<string, number>;
  /** Recordings older than this are misses; undefined: recordings never expire. */
  maxAgeMs: number | undefined;
  /** Where the cache lives, and how to record a miss: for the strict-miss message. */
  cacheLabel: string;
  recordCommand(): string;
  /** A continued session: its id and how many messages of history each call of this turn carries. */
  conversation?: { sessionId: string; earlierMessages: number };
  /**
   * Changes validated params before they are reported, keyed or run: invoke() uses it for the
   * per-invocation overrides of llm.message (src/actions/llm/overrides.ts). Returns the params to use.
   */
  prepareParams?(type: string, params: unknown, bot: ActionBot): unknown;
}

/** A mode decides where an action's result comes from. Each is one small object; see modes/index.ts. */
export interface ModeStrategy {
  name: ModeName;
  /** What this mode reads: the replay cache, the developer's mocks. The engine opens only what it reads. */
  needs: { cache: boolean; mocks: boolean };
  perform(call: ActionCall, run: RunState): Promise<ModeOutcome>;
  /** Where the error of a failed perform came from, for its action.completed event. */
  failedSource(error: unknown): ActionSource;
}

export interface PerformOptions {
  /** Also gets each streamed piece of this action's output (ctx.llm.stream and SDK streams read them so). */
  onDelta?: (delta: StreamDelta) => void;
  /** How this call runs for real instead of its type's executor (an SDK request goes where the SDK sent it). */
  runLive?: LiveRunner;
  /** The params are a fresh object only this call holds (parsed from an SDK's request body): the record needs no copy of them. */
  freshParams?: boolean;
}

/**
 * What code that acts for a bot (ctx.fetch, an agent's local endpoint) needs of the invocation's
 * dispatcher (src/invoke/dispatcher.ts). It is declared here, below the engine, so that code need
 * not import the engine that calls it.
 */
export interface ActionDispatch {
  perform(type: string, rawParams: unknown, bot: ActionBot, options?: PerformOptions): Promise<unknown>;
  /** What live executors of this invocation get: its signal, environment and settings. */
  readonly live: LiveContext;
  /** Notes an error of ours that an SDK received as an HTTP error answer and will throw as its own. */
  handedOnToSdk(error: Error): void;
  /** How many errors were handed on so far; with `lastHandedOnSince`, what an agent process was told while it ran. */
  readonly handedOnCount: number;
  lastHandedOnSince(count: number): Error | undefined;
}
