/**
 * What the ctx.fetch suite shares: the four real SDKs driven through `ctx.fetch` inside bots, each
 * reduced to what the SDK itself handed the bot (text, tool calls, usage in the SDK's own field names),
 * and the local provider servers they are recorded against. Nothing here reaches the internet: every
 * client gets a 127.0.0.1 base URL.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';
import { onTestFinished } from 'vitest';
import { defineBot, invoke, type Bot, type BotContext, type InvokeOptions, type InvokeResult, type RehearseEvent } from '../../src/index.js';
import { startAnthropicServer, type FakeAnthropicServer, type MessagesReply } from '../support/anthropic-server.js';
import { startOpenAIServer, type ChatReply, type FakeOpenAIServer } from '../support/openai-server.js';
import { tempCachePath, tempDir } from '../support/temp.js';

/** Keys that match none of rehearse's built-in secret patterns, so redaction could not hide a leak. */
export const openAiKey = 'test-openai-key-QX7Rb2wK9';
export const anthropicKey = 'test-anthropic-key-M4pZ9vT1';

export const openAiModel = 'gpt-4o-mini';
export const anthropicModel = 'claude-sonnet-4-6';

/** What an SDK handed the bot. Tool arguments are JSON text (Anthropic's and the AI SDK's parsed input, stringified). */
export interface Seen {
  /** The answer's id as the SDK reports it (chatcmpl-…, resp_…, msg_…). */
  id: string;
  text: string;
  toolCalls: Array<{ name: string; arguments: string }>;
  usage: Record<string, number>;
}

/** plain: one JSON answer; stream: the SDK's raw event iterator; helper: the SDK's stream helper (or, for the AI SDK, streamText). */
export type Style = 'plain' | 'stream' | 'helper';

export interface CallOptions {
  style: Style;
  prompt: string;
  tools?: boolean;
  /** The SDK's own retry setting; left to the SDK's default (2 retries) when not given. */
  maxRetries?: number;
}

export type Provider = 'openai' | 'anthropic';

/** One way of calling an LLM API through an SDK. */
export interface SdkPath {
  name: string;
  provider: Provider;
  /** The `api` of the llm.message params it becomes. */
  api: 'openai.chat' | 'openai.responses' | 'anthropic.messages';
  styles: Style[];
  call(fetch: BotContext['fetch'], baseURL: string, options: CallOptions): Promise<Seen>;
  /** The usage the SDK reports for these token counts, in its own field names. */
  usage(input: number, output: number): Record<string, number>;
  /** The id of the local server's first answer on this path. */
  serverId: string;
}

// ---- the SDKs ----------------------------------------------------------------------------------

export const chatWeatherTool: OpenAI.Chat.ChatCompletionTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'The weather in a city',
    parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
  },
};

export const responsesWeatherTool: OpenAI.Responses.FunctionTool = {
  type: 'function',
  name: 'get_weather',
  description: 'The weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
  strict: false,
};

export const anthropicWeatherTool: Anthropic.Tool = {
  name: 'get_weather',
  description: 'The weather in a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] },
};

export function openAiClient(fetch: BotContext['fetch'], baseURL: string, options: { maxRetries?: number; apiKey?: string } = {}): OpenAI {
  return new OpenAI({
    apiKey: options.apiKey ?? openAiKey,
    baseURL,
    fetch,
    timeout: 10_000,
    organization: null,
    project: null,
    ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
  });
}

export function anthropicClient(fetch: BotContext['fetch'], baseURL: string, options: { maxRetries?: number; apiKey?: string } = {}): Anthropic {
  return new Anthropic({
    apiKey: options.apiKey ?? anthropicKey,
    baseURL,
    fetch,
    timeout: 10_000,
    ...(options.maxRetries !== undefined && { maxRetries: options.maxRetries }),
  });
}

function fromCompletion(completion: OpenAI.Chat.ChatCompletion): Seen {
  const message = completion.choices[0]?.message;
  return {
    id: completion.id,
    text: message?.content ?? '',
    toolCalls: (message?.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [{ name: call.function.name, arguments: call.function.arguments }] : [])),
    usage: usageFields(completion.usage, ['prompt_tokens', 'completion_tokens', 'total_tokens']),
  };
}

function usageFields(usage: object | null | undefined, names: string[]): Record<string, number> {
  const picked: Record<string, number> = {};
  for (const name of names) {
    const value = (usage as Record<string, unknown> | null | undefined)?.[name];
    if (typeof value === 'number') picked[name] = value;
  }
  return picked;
}

export const openAiChat: SdkPath = {
  name: 'openai chat.completions',
  provider: 'openai',
  api: 'openai.chat',
  serverId: 'chatcmpl-fake000001',
  styles: ['plain', 'stream', 'helper'],
  usage: (input, output) => ({ prompt_tokens: input, completion_tokens: output, total_tokens: input + output }),
  async call(fetch, baseURL, { style, prompt, tools, maxRetries }) {
    const client = openAiClient(fetch, baseURL, { maxRetries });
    const body = { model: openAiModel, messages: [{ role: 'user' as const, content: prompt }], ...(tools && { tools: [chatWeatherTool] }) };
    if (style === 'plain') return fromCompletion(await client.chat.completions.create(body));
    if (style === 'helper') {
      return fromCompletion(await client.chat.completions.stream({ ...body, stream_options: { include_usage: true } }).finalChatCompletion());
    }
    const stream = await client.chat.completions.create({ ...body, stream: true, stream_options: { include_usage: true } });
    let id = '';
    let text = '';
    const calls: Array<{ name: string; arguments: string }> = [];
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      id ||= chunk.id;
      for (const choice of chunk.choices) {
        text += choice.delta.content ?? '';
        for (const piece of choice.delta.tool_calls ?? []) {
          const call = (calls[piece.index] ??= { name: '', arguments: '' });
          call.name += piece.function?.name ?? '';
          call.arguments += piece.function?.arguments ?? '';
        }
      }
      if (chunk.usage) usage = chunk.usage;
    }
    return { id, text, toolCalls: calls, usage: usageFields(usage, ['prompt_tokens', 'completion_tokens', 'total_tokens']) };
  },
};

function fromResponse(response: OpenAI.Responses.Response): Seen {
  const text = response.output
    .flatMap((item) => (item.type === 'message' ? item.content : []))
    .flatMap((part) => (part.type === 'output_text' ? [part.text] : []))
    .join('');
  return {
    id: response.id,
    text,
    toolCalls: response.output.flatMap((item) => (item.type === 'function_call' ? [{ name: item.name, arguments: item.arguments }] : [])),
    usage: usageFields(response.usage, ['input_tokens', 'output_tokens', 'total_tokens']),
  };
}

export const openAiResponses: SdkPath = {
  name: 'openai responses',
  provider: 'openai',
  api: 'openai.responses',
  serverId: 'resp_fake000001',
  styles: ['plain', 'stream', 'helper'],
  usage: (input, output) => ({ input_tokens: input, output_tokens: output, total_tokens: input + output }),
  async call(fetch, baseURL, { style, prompt, tools, maxRetries }) {
    const client = openAiClient(fetch, baseURL, { maxRetries });
    const body = { model: openAiModel, input: prompt, ...(tools && { tools: [responsesWeatherTool] }) };
    if (style === 'plain') {
      const response = await client.responses.create(body);
      // The SDK's own convenience must agree with the items.
      const seen = fromResponse(response);
      if (response.output_text !== seen.text) throw new Error(`output_text ${JSON.stringify(response.output_text)} is not the items' text ${JSON.stringify(seen.text)}`);
      return seen;
    }
    if (style === 'helper') return fromResponse(await client.responses.stream(body).finalResponse());
    const stream = await client.responses.create({ ...body, stream: true });
    let id = '';
    let text = '';
    const calls: Array<{ name: string; arguments: string }> = [];
    let usage: OpenAI.Responses.ResponseUsage | undefined;
    for await (const event of stream) {
      if (event.type === 'response.created') id = event.response.id;
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.output_item.added' && event.item.type === 'function_call') calls.push({ name: event.item.name, arguments: '' });
      if (event.type === 'response.function_call_arguments.delta') calls[calls.length - 1]!.arguments += event.delta;
      if (event.type === 'response.completed') usage = event.response.usage ?? undefined;
    }
    return { id, text, toolCalls: calls, usage: usageFields(usage, ['input_tokens', 'output_tokens', 'total_tokens']) };
  },
};

function fromMessage(message: Anthropic.Message): Seen {
  return {
    id: message.id,
    text: message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''),
    toolCalls: message.content.flatMap((block) => (block.type === 'tool_use' ? [{ name: block.name, arguments: JSON.stringify(block.input) }] : [])),
    usage: usageFields(message.usage, ['input_tokens', 'output_tokens']),
  };
}

export const anthropicMessages: SdkPath = {
  name: 'anthropic messages',
  provider: 'anthropic',
  api: 'anthropic.messages',
  serverId: 'msg_fake000001',
  styles: ['plain', 'stream', 'helper'],
  usage: (input, output) => ({ input_tokens: input, output_tokens: output }),
  async call(fetch, baseURL, { style, prompt, tools, maxRetries }) {
    const client = anthropicClient(fetch, baseURL, { maxRetries });
    const body = { model: anthropicModel, max_tokens: 256, messages: [{ role: 'user' as const, content: prompt }], ...(tools && { tools: [anthropicWeatherTool] }) };
    if (style === 'plain') return fromMessage(await client.messages.create(body));
    if (style === 'helper') return fromMessage(await client.messages.stream(body).finalMessage());
    const stream = await client.messages.create({ ...body, stream: true });
    let id = '';
    let text = '';
    const calls = new Map<number, { name: string; json: string }>();
    const usage: Record<string, number> = {};
    for await (const event of stream) {
      if (event.type === 'message_start') id = event.message.id;
      if (event.type === 'message_start') Object.assign(usage, usageFields(event.message.usage, ['input_tokens', 'output_tokens']));
      if (event.type === 'content_block_start' && event.content_block.type === 'tool_use') calls.set(event.index, { name: event.content_block.name, json: '' });
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'content_block_delta' && event.delta.type === 'input_json_delta') calls.get(event.index)!.json += event.delta.partial_json;
      if (event.type === 'message_delta') Object.assign(usage, usageFields(event.usage, ['input_tokens', 'output_tokens']));
    }
    // As the SDK's own accumulator does: the pieces are JSON text, the call's input is what they parse to.
    const toolCalls = [...calls.values()].map((call) => ({ name: call.name, arguments: JSON.stringify(JSON.parse(call.json || '{}')) }));
    return { id, text, toolCalls, usage };
  },
};

const aiSdkTools = {
  get_weather: tool({
    description: 'The weather in a city',
    inputSchema: jsonSchema<{ city: string; unit?: string }>({
      type: 'object',
      properties: { city: { type: 'string' }, unit: { type: 'string' } },
      required: ['city'],
    }),
  }),
};

function aiSdkPath(kind: 'chat' | 'responses'): SdkPath {
  return {
    name: `ai-sdk ${kind}`,
    provider: 'openai',
    api: kind === 'chat' ? 'openai.chat' : 'openai.responses',
    serverId: kind === 'chat' ? 'chatcmpl-fake000001' : 'resp_fake000001',
    // generateText is plain, streamText the stream; the AI SDK has no third way.
    styles: ['plain', 'stream'],
    usage: (input, output) => ({ inputTokens: input, outputTokens: output, totalTokens: input + output }),
    async call(fetch, baseURL, { style, prompt, tools, maxRetries }) {
      const provider = createOpenAI({ apiKey: openAiKey, baseURL, fetch });
      const model = kind === 'chat' ? provider.chat(openAiModel) : provider.responses(openAiModel);
      const settings = { model, prompt, ...(tools && { tools: aiSdkTools }), ...(maxRetries !== undefined && { maxRetries }) };
      const toSeen = (id: string | undefined, text: string, calls: Array<{ toolName: string; input: unknown }>, usage: object): Seen => ({
        id: id ?? '',
        text,
        toolCalls: calls.map((call) => ({ name: call.toolName, arguments: JSON.stringify(call.input) })),
        usage: usageFields(usage, ['inputTokens', 'outputTokens', 'totalTokens']),
      });
      if (style === 'plain') {
        const result = await generateText(settings);
        return toSeen(result.response.id, result.text, result.toolCalls, result.usage);
      }
      // streamText reports a failure to onError and ends the stream; the bot rethrows it, as an agent would.
      let failure: unknown;
      const result = streamText({ ...settings, onError: ({ error }) => void (failure = error) });
      let text = '';
      for await (const piece of result.textStream) text += piece;
      if (failure !== undefined) throw failure;
      return toSeen((await result.response).id, text, await result.toolCalls, await result.usage);
    },
  };
}

export const aiSdkChat = aiSdkPath('chat');
export const aiSdkResponses = aiSdkPath('responses');

export const sdkPaths: SdkPath[] = [openAiChat, openAiResponses, anthropicMessages, aiSdkChat, aiSdkResponses];

// ---- servers and replies -------------------------------------------------------------------------

export interface ProviderServer {
  url: string;
  /** How many requests reached the server. */
  readonly hits: number;
  paths(): string[];
  /** One answer: text, tool calls (a weather call for Paris), usage. */
  enqueue(answer: Answer): void;
  close(): Promise<void>;
}

export interface Answer {
  text?: string;
  toolCall?: { id: string; name: string; input: Record<string, unknown> };
  usage: { input: number; output: number };
}

function openAiReply(answer: Answer): ChatReply {
  return {
    kind: 'message',
    ...(answer.text !== undefined && { content: answer.text }),
    ...(answer.toolCall && { toolCalls: [{ id: answer.toolCall.id, name: answer.toolCall.name, arguments: JSON.stringify(answer.toolCall.input) }] }),
    usage: { prompt_tokens: answer.usage.input, completion_tokens: answer.usage.output },
  };
}

function anthropicReply(answer: Answer): MessagesReply {
  return {
    kind: 'message',
    ...(answer.text !== undefined && { content: answer.text }),
    ...(answer.toolCall && { toolUses: [{ id: answer.toolCall.id, name: answer.toolCall.name, input: answer.toolCall.input }] }),
    usage: { input_tokens: answer.usage.input, output_tokens: answer.usage.output },
  };
}

/** A local provider server for this test, closed when the test ends (closing twice is fine). */
export async function startServer(provider: Provider, options: { apiKey?: string } = {}): Promise<ProviderServer & { raw: FakeOpenAIServer | FakeAnthropicServer }> {
  const raw = provider === 'openai' ? await startOpenAIServer(options) : await startAnthropicServer(options);
  onTestFinished(() => raw.close());
  return {
    raw,
    url: raw.url,
    get hits() {
      return raw.requests.length;
    },
    paths: () => raw.requests.map((request) => request.path),
    enqueue(answer) {
      if (provider === 'openai') (raw as FakeOpenAIServer).enqueue(openAiReply(answer));
      else (raw as FakeAnthropicServer).enqueue(anthropicReply(answer));
    },
    close: () => raw.close(),
  };
}

/** What each path's server answers, and what the SDK must then see. */
export const textAnswer: Answer = { text: 'The capital of France is Paris, on the Seine.', usage: { input: 11, output: 9 } };
export const toolAnswer: Answer = {
  text: 'Checking the weather.',
  toolCall: { id: 'call_weather1', name: 'get_weather', input: { city: 'Paris', unit: 'celsius' } },
  usage: { input: 20, output: 12 },
};

export function expectedSeen(path: SdkPath, answer: Answer): Seen {
  return {
    id: path.serverId,
    text: answer.text ?? '',
    toolCalls: answer.toolCall ? [{ name: answer.toolCall.name, arguments: JSON.stringify(answer.toolCall.input) }] : [],
    usage: path.usage(answer.usage.input, answer.usage.output),
  };
}

// ---- bots and runs -------------------------------------------------------------------------------

/** A bot whose run is one SDK call through ctx.fetch; its output is what the SDK handed it. */
export function sdkBot(key: string, call: (ctx: BotContext, prompt: string) => Promise<unknown>): Bot<unknown> {
  return defineBot({ key, version: 'v1', run: (input, ctx) => call(ctx, input.prompt) });
}

export function pathBot(key: string, path: SdkPath, baseURL: string, options: Omit<CallOptions, 'prompt'>): Bot<unknown> {
  return sdkBot(key, (ctx, prompt) => path.call(ctx.fetch, baseURL, { ...options, prompt }));
}

export interface Workspace {
  cwd: string;
  cachePath: string;
  run(bot: Bot<unknown>, options?: InvokeOptions): Promise<InvokeResult>;
}

/** A temp folder and cache file for one test; runs get no environment (no keys, no REHEARSE_*). */
export function workspace(): Workspace {
  const cachePath = tempCachePath();
  const cwd = tempDir();
  return {
    cwd,
    cachePath,
    run: (bot, options = {}) => invoke(bot, { env: {}, cwd, cachePath, input: 'What is the capital of France?', ...options }),
  };
}

export function completedActions(result: InvokeResult, type = 'llm.message'): Array<Extract<RehearseEvent, { type: 'action.completed' }>> {
  return result.events.filter((event): event is Extract<RehearseEvent, { type: 'action.completed' }> => event.type === 'action.completed' && event.action_type === type);
}

export function startedActions(result: InvokeResult, type = 'llm.message'): Array<Extract<RehearseEvent, { type: 'action.started' }>> {
  return result.events.filter((event): event is Extract<RehearseEvent, { type: 'action.started' }> => event.type === 'action.started' && event.action_type === type);
}

/** Where each llm.message of the run came from: live, cache or mock. */
export function sources(result: InvokeResult, type = 'llm.message'): string[] {
  return completedActions(result, type).map((event) => event.source);
}

/** The bytes of the cache file and its -wal/-shm companions, as latin1 text to search. */
export function cacheBytes(cachePath: string): string {
  const folder = dirname(cachePath);
  return readdirSync(folder)
    .filter((name) => name.startsWith('cache.sqlite'))
    .map((name) => readFileSync(join(folder, name)).toString('latin1'))
    .join('\n');
}

/** Runs `fn` and returns what it threw (failing when it did not throw). */
export async function caught(fn: () => Promise<unknown>): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a failure, got none');
}
