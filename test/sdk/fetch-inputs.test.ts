/**
 * ctx.fetch reads the common SDK call (a URL and a JSON string body) straight from its arguments and
 * anything else through a standard Request. Both ways must make the same action: the same params,
 * the same key (a call made one way replays a recording made the other way), the same method
 * spelling, and the same refusals.
 */
import { describe, expect, it } from 'vitest';
import type { BotContext } from '../../src/index.js';
import { anthropicModel, openAiModel, sdkBot, sources, startedActions, startServer, textAnswer, workspace } from './support.js';

type Form = 'url and string body' | 'Request object' | 'URL object and byte body';

/** One chat call by hand, in one of the forms a fetch may be called in. */
async function chatBy(form: Form, fetch: BotContext['fetch'], baseURL: string, prompt: string): Promise<unknown> {
  const url = `${baseURL}/chat/completions`;
  const body = JSON.stringify({ model: openAiModel, messages: [{ role: 'user', content: prompt }] });
  const headers = { 'content-type': 'application/json', authorization: 'Bearer test-key-not-kept' };
  const response =
    form === 'Request object'
      ? await fetch(new Request(url, { method: 'POST', headers, body }))
      : form === 'URL object and byte body'
        ? await fetch(new URL(url), { method: 'post', headers, body: new TextEncoder().encode(body) })
        : await fetch(url, { method: 'POST', headers, body });
  const answer = (await response.json()) as { choices: Array<{ message: { content: string } }> };
  return { status: response.status, type: response.headers.get('content-type'), text: answer.choices[0]?.message.content };
}

describe('ctx.fetch reads a request the same whichever form the SDK calls it in', () => {
  it('a chat call recorded from a URL and a string body replays for a Request object and for a byte body, with the same params', async () => {
    const server = await startServer('openai');
    server.enqueue(textAnswer);
    const space = workspace();
    const run = (form: Form, strict: boolean) =>
      space.run(
        sdkBot('forms', (ctx, prompt) => chatBy(form, ctx.fetch, server.url, prompt)),
        { mode: 'replay', strict, env: {} },
      );

    const recorded = await run('url and string body', false);
    expect(recorded.error).toBeUndefined();
    expect(sources(recorded)).toEqual(['live']);
    const expected = { status: 200, type: 'application/json', text: textAnswer.text };
    expect(recorded.result.output).toEqual(expected);
    await server.close();

    for (const form of ['Request object', 'URL object and byte body'] as const) {
      const replayed = await run(form, true);
      expect(replayed.error, form).toBeUndefined();
      expect(sources(replayed), form).toEqual(['cache']);
      expect(replayed.result.output, form).toEqual(expected);
      expect(startedActions(replayed)[0]?.params, form).toEqual(startedActions(recorded)[0]?.params);
    }
    expect(server.hits).toBe(1);
  });

  it('gives http.fetch the same method and body from a URL and init as from a Request', async () => {
    const bot = sdkBot('methods', async (ctx) => {
      await ctx.fetch('https://example.invalid/items/1', { method: 'delete' });
      await ctx.fetch('https://example.invalid/items/1', { method: 'patch', body: '{"name":"kettle"}' });
      await ctx.fetch(new Request('https://example.invalid/items/1', { method: 'delete' }));
      await ctx.fetch(new Request('https://example.invalid/items/1', { method: 'patch', body: '{"name":"kettle"}' }));
      return 'done';
    });
    const ok = { status: 'success' as const, output: 'ok' };
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'http.fetch': [ok, ok, ok, ok] } });
    expect(result.error).toBeUndefined();
    const methods = startedActions(result, 'http.fetch').map((event) => (event.params as { method: string }).method);
    expect(methods).toEqual(['DELETE', 'PATCH', 'DELETE', 'PATCH']);
    const bodies = startedActions(result, 'http.fetch').map((event) => (event.params as { body: string | null }).body);
    expect(bodies).toEqual([null, '{"name":"kettle"}', null, '{"name":"kettle"}']);
  });

  it('refuses a GET with a body as fetch does, before any action', async () => {
    const bot = sdkBot('get-with-body', async (ctx) => {
      try {
        await ctx.fetch('https://example.invalid/search', { method: 'GET', body: 'q=kettle' });
        return 'accepted';
      } catch (error) {
        return `${(error as Error).name}: ${(error as Error).message}`;
      }
    });
    const result = await workspace().run(bot, { mode: 'manual', mocks: {} });
    expect(result.result.output).toMatch(/^TypeError: .*GET.*body/i);
    expect(startedActions(result, 'http.fetch')).toHaveLength(0);
  });

  it('tells an Anthropic call on a bare /messages path by its anthropic-version header', async () => {
    const bot = sdkBot('bare-messages', async (ctx, prompt) => {
      const body = JSON.stringify({ model: anthropicModel, max_tokens: 64, messages: [{ role: 'user', content: prompt }] });
      const response = await ctx.fetch('https://gateway.example.invalid/anthropic/messages', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
        body,
      });
      const answer = (await response.json()) as { type: string; content: Array<{ type: string; text: string }> };
      return { type: answer.type, text: answer.content[0]?.text };
    });
    const result = await workspace().run(bot, { mode: 'manual', mocks: { 'llm.message': [{ status: 'success', output: 'Paris.' }] } });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toEqual({ type: 'message', text: 'Paris.' });
    expect((startedActions(result)[0]?.params as { api: string }).api).toBe('anthropic.messages');
  });
});
