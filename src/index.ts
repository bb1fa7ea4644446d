export { invoke } from './invoke/invoke.js';
export { defineBot } from './bots/define.js';
export { registerAction, actionTypes } from './actions/registry.js';
export { formatResult } from './format/index.js';
export { replayKey } from './cache/key.js';
export { loadMocksFile, parseMocks } from './mocks/load.js';
export * from './errors.js';

export type { Bot, BotDefinition, BotInput } from './bots/types.js';
export type { BotContext, LlmStream } from './invoke/context-types.js';
export type { ActionDefinition, LiveContext, LiveOutcome, LiveSettings, LlmSettings, ModelPrice, StreamDelta, TokenUsage } from './actions/types.js';
export type { LlmMessage, LlmMessageOutput, LlmMessageParams, LlmTool, LlmToolCall, LlmStopReason, LlmResponseFormat } from './actions/llm-types.js';
export type { CodeExecOutput, CodeExecParams, MemoryAddOutput, MemoryAddParams, MemorySearchOutput, MemorySearchParams } from './actions/builtin-types.js';
export type { KeyMaterial } from './cache/key.js';
export type { Mocks, MockSpec, MockRule, MockResponse, MockFunction, MockCall, ParamsMatcher } from './mocks/types.js';
export type { ModeName } from './config/resolve.js';
export type { ActionSource, ActionCompletedEvent, ActionDeltaEvent, ActionStartedEvent, RehearseEvent, RunMessage, ErrorInfo } from './invoke/events.js';
export type { InvokeOptions, StreamingInvokeOptions, InvokeResult, InvokeStream, StreamItem, OutputFormat, JsonSummary, CacheSummary } from './invoke/types.js';
