/**
 * A two-step agent through each SDK: the model asks for a tool, the bot runs it and sends the result back,
 * the model answers. The second request carries the first answer (its tool-call id and arguments), so a
 * replay only hits when the replayed first answer is exactly what was recorded, ids included.
 */
import type Anthropic from '@anthropic-ai/sdk';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import type OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import type { BotContext } from '../../src/index.js';
import {
  anthropicClient,
  anthropicModel,
  anthropicWeatherTool,
  chatWeatherTool,
  openAiClient,
  openAiKey,
  openAiModel,
  responsesWeatherTool,
  sdkBot,
  sources,
  startServer,
  toolAnswer,
  workspace,
  type Provider,
} from './support.js';

const finalText = 'It is 12 degrees and cloudy in Paris.';
const weather = (input: { city: string; unit?: string }) => ({ city: input.city, unit: input.unit ?? 'celsius', temperature: 12, sky: 'cloudy' });

/** What the loop saw: the tool inputs it ran, the final text, the number of model calls. */
interface LoopOutcome {
  ran: string[];
  text: string;
  calls: number;
}

type Loop = (fetch: BotContext['fetch'], baseURL: string, prompt: string, stream: boolean) => Promise<LoopOutcome>;

async function openAiChatLoop(fetch: BotContext['fetch'], baseURL: string, prompt: string, stream: boolean): Promise<LoopOutcome> {
  const client = openAiClient(fetch, baseURL);
  const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: prompt }];
  const ran: string[] = [];
  for (let calls = 1; ; calls++) {
    const body = { model: openAiModel, messages, tools: [chatWeatherTool] };
    const completion = stream ? await client.chat.completions.stream({ ...body, stream_options: { include_usage: true } }).finalChatCompletion() : await client.chat.completions.create(body);
    const message = completion.choices[0]!.message;
    const toolCalls = (message.tool_calls ?? []).flatMap((call) => (call.type === 'function' ? [call] : []));
    if (toolCalls.length === 0) return { ran, text: message.content ?? '', calls };
    messages.push({ role: 'assistant', content: message.content, tool_calls: toolCalls });
    for (const call of toolCalls) {
      ran.push(`${call.id} ${call.function.arguments}`);
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(weather(JSON.parse(call.function.arguments))) });
    }
  }
}

async function openAiResponsesLoop(fetch: BotContext['fetch'], baseURL: string, prompt: string, stream: boolean): Promise<LoopOutcome> {
  const client = openAiClient(fetch, baseURL);
  const input: OpenAI.Responses.ResponseInputItem[] = [{ role: 'user', content: prompt }];
  const ran: string[] = [];
  for (let calls = 1; ; calls++) {
    const body = { model: openAiModel, input, tools: [responsesWeatherTool], store: false };
    const response = stream ? await client.responses.stream(body).finalResponse() : await client.responses.create(body);
    const toolCalls = response.output.flatMap((item) => (item.type === 'function_call' ? [item] : []));
    if (toolCalls.length === 0) {
      const text = response.output.flatMap((item) => (item.type === 'message' ? item.content : [])).flatMap((part) => (part.type === 'output_text' ? [part.text] : []));
      return { ran, text: text.join(''), calls };
    }
    for (const call of toolCalls) {
      ran.push(`${call.call_id} ${call.arguments}`);
      input.push({ type: 'function_call', call_id: call.call_id, name: call.name, arguments: call.arguments });
      input.push({ type: 'function_call_output', call_id: call.call_id, output: JSON.stringify(weather(JSON.parse(call.arguments))) });
    }
  }
}

async function anthropicLoop(fetch: BotContext['fetch'], baseURL: string, prompt: string, stream: boolean): Promise<LoopOutcome> {
  const client = anthropicClient(fetch, baseURL);
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: prompt }];
  const ran: string[] = [];
  for (let calls = 1; ; calls++) {
    const body = { model: anthropicModel, max_tokens: 256, messages, tools: [anthropicWeatherTool] };
    const message = stream ? await client.messages.stream(body).finalMessage() : await client.messages.create(body);
    const uses = message.content.flatMap((block) => (block.type === 'tool_use' ? [block] : []));
    if (uses.length === 0) return { ran, text: message.content.flatMap((block) => (block.type === 'text' ? [block.text] : [])).join(''), calls };
    messages.push({ role: 'assistant', content: message.content });
    messages.push({
      role: 'user',
      content: uses.map((use) => {
        ran.push(`${use.id} ${JSON.stringify(use.input)}`);
        return { type: 'tool_result' as const, tool_use_id: use.id, content: JSON.stringify(weather(use.input as { city: string })) };
      }),
    });
  }
}

function aiSdkLoop(kind: 'chat' | 'responses'): Loop {
  return async (fetch, baseURL, prompt, stream) => {
    const provider = createOpenAI({ apiKey: openAiKey, baseURL, fetch });
    const ran: string[] = [];
    const tools = {
      get_weather: tool({
        description: 'The weather in a city',
        inputSchema: jsonSchema<{ city: string; unit?: string }>({ type: 'object', properties: { city: { type: 'string' }, unit: { type: 'string' } }, required: ['city'] }),
        execute: async (input, { toolCallId }) => {
          ran.push(`${toolCallId} ${JSON.stringify(input)}`);
          return weather(input);
        },
      }),
    };
    const settings = { model: kind === 'chat' ? provider.chat(openAiModel) : provider.responses(openAiModel), prompt, tools, stopWhen: stepCountIs(4) };
    if (!stream) {
      const result = await generateText(settings);
      return { ran, text: result.text, calls: result.steps.length };
    }
    let failure: unknown;
    const result = streamText({ ...settings, onError: ({ error }) => void (failure = error) });
    await result.consumeStream();
    if (failure !== undefined) throw failure;
    return { ran, text: await result.text, calls: (await result.steps).length };
  };
}

const loops: Array<{ name: string; provider: Provider; loop: Loop }> = [
  { name: 'openai chat.completions', provider: 'openai', loop: openAiChatLoop },
  { name: 'openai responses', provider: 'openai', loop: openAiResponsesLoop },
  { name: 'anthropic messages', provider: 'anthropic', loop: anthropicLoop },
  { name: 'ai-sdk chat', provider: 'openai', loop: aiSdkLoop('chat') },
  { name: 'ai-sdk responses', provider: 'openai', loop: aiSdkLoop('responses') },
];

const cases = loops.flatMap((entry) => [
  { ...entry, stream: false },
  { ...entry, stream: true },
]);

describe.each(cases)('a tool-using agent through $name (stream: $stream)', ({ provider, loop, stream }) => {
  it('records both model calls, and replays them strict with the server stopped', async () => {
    const server = await startServer(provider);
    server.enqueue(toolAnswer);
    server.enqueue({ text: finalText, usage: { input: 40, output: 10 } });
    const bot = sdkBot('weather-agent', (ctx, prompt) => loop(ctx.fetch, server.url, prompt, stream));
    const space = workspace();
    // The tool ran once, with the call id and arguments the server gave (the same when replayed).
    const expected: LoopOutcome = { ran: [`${toolAnswer.toolCall!.id} {"city":"Paris","unit":"celsius"}`], text: finalText, calls: 2 };

    const recorded = await space.run(bot, { mode: 'replay', input: 'What is the weather in Paris?' });
    expect(recorded.error).toBeUndefined();
    expect(recorded.result.output).toEqual(expected);
    expect(server.hits).toBe(2);
    // The second request sent the tool's result back under the call's id.
    const second = (server.raw.requests[1]?.rawBody ?? '') as string;
    expect(second).toContain(toolAnswer.toolCall!.id);
    expect(second).toContain('temperature');
    expect(sources(recorded)).toEqual(['live', 'live']);
    expect(recorded.usage).toEqual({ inputTokens: 60, outputTokens: 22 });

    await server.close();
    const replayed = await space.run(bot, { mode: 'replay', strict: true, input: 'What is the weather in Paris?' });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toEqual(expected);
    expect(sources(replayed)).toEqual(['cache', 'cache']);
    expect(replayed.usage).toEqual({ inputTokens: 60, outputTokens: 22 });
  });
});
