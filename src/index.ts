export { invoke } from './invoke/invoke.js';
export { defineBot } from './bots/define.js';
export { registerAction, actionTypes } from './actions/registry.js';
export { formatResult } from './format/index.js';
export { replayKey } from './cache/key.js';
export { loadMocksFile, parseMocks } from './mocks/load.js';
export * from './errors.js';

import type { RunningServer, ServeOptions } from './serve/types.js';

/**
 * Starts the HTTP API (docs/API.md). The server's modules load on this call, not with the package:
 * every bot file imports the package, and a bot run never serves.
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  return (await import('./serve/server.js')).startServer(options);
}

export type { Bot, BotDefinition, BotInput, CodeBotDefinition, CommandBotDefinition } from './bots/types.js';
export type { BotContext, LlmStream } from './bots/types.js';
export type { ActionDefinition, LiveContext, LiveOutcome, LiveSettings, LlmSettings, ModelPrice, StreamDelta, TokenUsage } from './actions/types.js';
export type { LlmMessage, LlmMessageOutput, LlmMessageParams, LlmTool, LlmToolCall, LlmStopReason, LlmResponseFormat } from './actions/llm-types.js';
export type { CodeExecOutput, CodeExecParams, MemoryAddOutput, MemoryAddParams, MemorySearchOutput, MemorySearchParams } from './actions/builtin-types.js';
export type { HttpFetchOutput, HttpFetchParams } from './actions/http-fetch.js';
export type { WireLlmParams } from './actions/llm-wire.js';
export type { WireApi } from './wire/types.js';
export type { KeyMaterial } from './cache/key.js';
export type { Mocks, MockSpec, MockRule, MockResponse, MockFunction, MockCall, ParamsMatcher } from './mocks/types.js';
export type { ModeName } from './config/resolve.js';
export type { ActionSource } from './modes/types.js';
export type { ActionCompletedEvent, ActionDeltaEvent, ActionStartedEvent, RehearseEvent, RunMessage, ErrorInfo } from './invoke/events.js';
export type { InvokeOptions, StreamingInvokeOptions, InvokeResult, InvokeStream, StreamItem, OutputFormat, JsonSummary, CacheSummary } from './invoke/types.js';
export type { FileOption, LlmOverrides, LlmUse, BotOutputFormat } from './invoke/types.js';
export type { Attachment } from './actions/llm/attachments.js';
export type { ReasoningEffort } from './actions/llm-types.js';
export type { ServeOptions, RunningServer, RateLimit, InvokeResponseBody, TaskBody, TaskStatus, ErrorBody } from './serve/types.js';
