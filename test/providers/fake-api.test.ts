/**
 * Adding a wire API is one module (fixtures/echo-api.ts) plus one registry line: registered here,
 * "echo.talk" runs live against a local server, replays from the cache, is mocked, and is called
 * SDK-style through ctx.fetch, as neutral ctx.llm.message params, and by an agent program through the
 * agents' endpoint, with nothing else changed.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineBot, invoke, type BotContext, type InvokeOptions } from '../../src/index.js';
import { registerProviderApi } from '../../src/providers/registry.js';
import { parseServerSentEvents } from '../../src/wire/sse.js';
import { tempCachePath, tempDir } from '../support/temp.js';
import { echoApi, type EchoAnswer } from './fixtures/echo-api.js';

// The registry line.
registerProviderApi(echoApi);

interface Received {
  path: string;
  key: string | undefined;
  body: { model: string; prompt: string; stream?: boolean };
}

/** A local echo.talk server: says the prompt back upper-cased, in one answer or as a stream of words. */
async function startEchoServer() {
  const received: Received[] = [];
  const server = createServer((request: IncomingMessage, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      const body = JSON.parse(text) as Received['body'];
      received.push({ path: request.url ?? '', key: request.headers['x-echo-key'] as string | undefined, body });
      const said = body.prompt.toUpperCase();
      const answer: EchoAnswer = { kind: 'echo.answer', id: `echo-${received.length}`, model: `${body.model}-2026`, said, tokens: { in: 3, out: 2 } };
      if (!body.stream) {
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const piece of said.match(/\s*\S+\s*/g) ?? []) response.write(`data: ${JSON.stringify({ piece })}\n\n`);
      response.end(`data: ${JSON.stringify({ done: answer })}\n\n`);
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, received, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** What an SDK for echo.talk would do: a POST through the fetch it was given, a JSON answer or a stream of pieces read back. */
async function echoSdk(fetch: BotContext['fetch'], baseUrl: string, prompt: string, stream = false): Promise<{ said: string; pieces: string[]; id: string }> {
  const response = await fetch(`${baseUrl}/talk`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-echo-key': 'echo-key-1' }, body: JSON.stringify({ model: 'echo-1', prompt, ...(stream && { stream }) }) });
  if (!response.ok) throw new Error(`echo failed with ${response.status}: ${await response.text()}`);
  if (!stream) {
    const answer = (await response.json()) as EchoAnswer;
    return { said: answer.said, pieces: [], id: answer.id };
  }
  const pieces: string[] = [];
  let done: EchoAnswer | undefined;
  for await (const event of parseServerSentEvents(response.body as unknown as AsyncIterable<Uint8Array>)) {
    const data = JSON.parse(event.data) as { piece?: string; done?: EchoAnswer };
    if (data.piece !== undefined) pieces.push(data.piece);
    if (data.done) done = data.done;
  }
  if (!done) throw new Error('the echo stream had no "done" event');
  return { said: done.said, pieces, id: done.id };
}

let server: Awaited<ReturnType<typeof startEchoServer>>;
beforeAll(async () => {
  server = await startEchoServer();
});
afterAll(() => server.close());

function workspace() {
  const cwd = tempDir();
  const cachePath = tempCachePath();
  return (bot: Parameters<typeof invoke>[0], options: InvokeOptions = {}) => invoke(bot, { env: { ECHO_BASE_URL: server.url, ECHO_KEY: 'env-key-2' }, cwd, cachePath, input: 'hello there echo', ...options });
}

const sdkBot = (stream: boolean) => defineBot({ key: `echo-sdk-${stream}`, version: 'v1', run: (input: { prompt: string }, ctx) => echoSdk(ctx.fetch, server.url, input.prompt, stream) });

function llmEvents(result: Awaited<ReturnType<typeof invoke>>) {
  return result.events.filter((event) => event.type === 'action.completed' && event.action_type === 'llm.message') as Array<{ source: string; cost_usd?: number }>;
}

describe('a wire API added as one module and one registry line', () => {
  it('an SDK call through ctx.fetch runs live against the local server, then replays from the cache without it', async () => {
    const run = workspace();
    const before = server.received.length;
    const live = await run(sdkBot(false), { mode: 'replay' });
    expect(live.error).toBeUndefined();
    expect(live.result.output).toEqual({ said: 'HELLO THERE ECHO', pieces: [], id: `echo-${before + 1}` });
    expect(server.received.slice(before)).toEqual([{ path: '/talk', key: 'echo-key-1', body: { model: 'echo-1', prompt: 'hello there echo' } }]);
    expect(llmEvents(live).map((event) => event.source)).toEqual(['live']);
    // The module's prices: 3 tokens in at $1 and 2 out at $2.
    expect(live.costUsd).toBeCloseTo(7);
    expect(live.llm).toEqual([{ provider: 'echo', model: 'echo-1', reasoningEffort: null, calls: 1 }]);

    const replayed = await run(sdkBot(false), { mode: 'replay', strict: true });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toEqual(live.result.output);
    expect(llmEvents(replayed).map((event) => event.source)).toEqual(['cache']);
    expect(server.received.length).toBe(before + 1);
  });

  it('a streamed SDK call streams live, and its replay streams the recorded pieces through the module codec', async () => {
    const run = workspace();
    const before = server.received.length;
    const live = await run(sdkBot(true), { mode: 'replay' });
    expect(live.error).toBeUndefined();
    expect(live.result.output).toMatchObject({ said: 'HELLO THERE ECHO', pieces: ['HELLO ', 'THERE ', 'ECHO'] });
    const deltas = live.events.filter((event) => event.type === 'action.delta');
    expect(deltas.length).toBe(3);

    const replayed = await run(sdkBot(true), { mode: 'replay', strict: true });
    expect(replayed.error).toBeUndefined();
    expect(replayed.result.output).toEqual(live.result.output);
    expect(server.received.length).toBe(before + 1);
  });

  it('a mock written as plain content becomes an echo.answer the SDK reads, with no server asked', async () => {
    const before = server.received.length;
    const result = await workspace()(sdkBot(false), { mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'Mocked echo.' } } });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toEqual({ said: 'Mocked echo.', pieces: [], id: 'echo-mock' });
    expect(llmEvents(result).map((event) => event.source)).toEqual(['mock']);
    expect(server.received.length).toBe(before);
  });

  it('a mocked failure reaches the SDK in the module error shape, with its status', async () => {
    const bot = defineBot({
      key: 'echo-failure',
      version: 'v1',
      run: (input: { prompt: string }, ctx) => echoSdk(ctx.fetch, server.url, input.prompt).catch((error: Error) => ({ sdkSaw: error.message })),
    });
    const result = await workspace()(bot, { mode: 'manual', mocks: { 'llm.message': { status: 'error', error: { message: 'echo is tired', code: 'tired', status: 429 } } } });
    expect(result.result.output).toEqual({ sdkSaw: `echo failed with 429: ${JSON.stringify({ failure: { message: 'echo is tired', code: 'tired' } })}` });
  });

  it('neutral ctx.llm.message params reach the API through its request mapping, target and model prefix', async () => {
    const run = workspace();
    const before = server.received.length;
    const bot = defineBot({ key: 'echo-neutral', version: 'v1', run: async (input: { prompt: string }, ctx) => (await ctx.llm.message({ model: 'echo-1', messages: [{ role: 'user', content: input.prompt }] })).content });
    const live = await run(bot, { mode: 'replay' });
    expect(live.error).toBeUndefined();
    expect(live.result.output).toBe('HELLO THERE ECHO');
    // The module target: rehearse's environment names the base URL and the key.
    expect(server.received.slice(before)).toEqual([{ path: '/talk', key: 'env-key-2', body: { model: 'echo-1', prompt: 'hello there echo' } }]);
    expect(live.llm).toEqual([{ provider: 'echo', model: 'echo-1', reasoningEffort: null, calls: 1 }]);

    const replayed = await run(bot, { mode: 'replay', strict: true });
    expect(replayed.result.output).toBe('HELLO THERE ECHO');
    expect(llmEvents(replayed).map((event) => event.source)).toEqual(['cache']);
    expect(server.received.length).toBe(before + 1);
  });

  it("an agent run as a command reaches the API through the agents' endpoint, under the module's prefix, variables and key header", async () => {
    // The agent only knows ECHO_BASE_URL and ECHO_KEY, as a program using an echo.talk SDK would.
    const agent = [
      "let prompt = ''; process.stdin.on('data', (c) => (prompt += c)); process.stdin.on('end', async () => {",
      "  const response = await fetch(process.env.ECHO_BASE_URL + '/talk', { method: 'POST', headers: { 'content-type': 'application/json', 'x-echo-key': process.env.ECHO_KEY }, body: JSON.stringify({ model: 'echo-1', prompt }) });",
      "  const answer = await response.json(); process.stdout.write(response.ok ? answer.said : JSON.stringify(answer)); });",
    ].join('\n');
    const bot = defineBot({ key: 'echo-agent', command: [process.execPath, '-e', agent] });
    const run = workspace();
    const before = server.received.length;
    const live = await run(bot, { mode: 'replay', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ECHO_BASE_URL: server.url, ECHO_KEY: 'env-key-2' } });
    expect(live.error).toBeUndefined();
    expect(live.result.output).toBe('HELLO THERE ECHO');
    // Live, the call goes on to the provider rehearse's environment names, with rehearse's key (the agent only had the run's token).
    expect(server.received.slice(before)).toEqual([{ path: '/talk', key: 'env-key-2', body: { model: 'echo-1', prompt: 'hello there echo' } }]);

    const replayed = await run(bot, { mode: 'replay', strict: true, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
    expect(replayed.result.output).toBe('HELLO THERE ECHO');
    expect(llmEvents(replayed).map((event) => event.source)).toEqual(['cache']);
    expect(server.received.length).toBe(before + 1);
  });

  it('a request the module refuses is a clear llm.message params error', async () => {
    const bot = defineBot({ key: 'echo-bad', version: 'v1', run: (_input: unknown, ctx) => ctx.act('llm.message', { api: 'echo.talk', model: 'echo-1', words: 'no prompt' }) });
    const result = await workspace()(bot, { mode: 'replay' });
    expect(result.error?.message).toContain('an echo.talk request needs "prompt" (a string).');
  });
});
