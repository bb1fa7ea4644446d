/**
 * ctx.fetch for anything that is not an LLM API: an `http.fetch` action, live in replay mode unless the
 * config's cache.actions names it, and mockable (a text body, a JSON body, or { status, headers, body }).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { onTestFinished, describe, expect, it } from 'vitest';
import { listenLocal, readBody } from '../support/server-io.js';
import { cacheBytes, completedActions, sdkBot, sources, startedActions, workspace } from './support.js';

const searchKey = 'search-service-key-Zt81qL';

interface SearchServer {
  url: string;
  requests: Array<{ method: string; path: string; authorization: string | undefined; body: string }>;
  close(): Promise<void>;
}

/** A small JSON API on 127.0.0.1 whose answers count its hits, so a live call and a replayed one differ. */
async function startSearchServer(): Promise<SearchServer> {
  const requests: SearchServer['requests'] = [];
  const local = await listenLocal(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    requests.push({ method: req.method ?? 'GET', path: req.url ?? '/', authorization: req.headers.authorization, body });
    const text = JSON.stringify({ hit: requests.length, query: new URL(req.url ?? '/', 'http://x').searchParams.get('q'), echo: body || null });
    res.writeHead(200, { 'content-type': 'application/json', 'x-search-took': '3ms', 'set-cookie': 'session=abc123; HttpOnly' });
    res.end(text);
  });
  onTestFinished(() => local.close());
  return { url: `http://127.0.0.1:${local.port}`, requests, close: () => local.close() };
}

/** A bot that searches once (GET with a key) and posts once (a JSON body), returning what it read. */
function searchBot(baseUrl: string) {
  return sdkBot('searcher', async (ctx, prompt) => {
    const found = await ctx.fetch(`${baseUrl}/search?q=${encodeURIComponent(prompt)}`, { headers: { authorization: `Bearer ${searchKey}`, accept: 'application/json' } });
    const posted = await ctx.fetch(`${baseUrl}/notes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note: prompt }) });
    return { status: found.status, took: found.headers.get('x-search-took'), cookie: found.headers.get('set-cookie'), search: await found.json(), note: await posted.json() };
  });
}

describe('http.fetch through ctx.fetch', () => {
  it('is live in replay mode by default: the server is asked every time, strict or not, and nothing is recorded', async () => {
    const server = await startSearchServer();
    const space = workspace();
    const bot = searchBot(server.url);

    const first = await space.run(bot, { mode: 'replay', input: 'paris' });
    expect(first.error).toBeUndefined();
    expect(first.result.output).toEqual({
      status: 200,
      took: '3ms',
      // A session cookie never reaches the output, live or not, so it can never be recorded.
      cookie: null,
      search: { hit: 1, query: 'paris', echo: null },
      note: { hit: 2, query: null, echo: '{"note":"paris"}' },
    });
    expect(sources(first, 'http.fetch')).toEqual(['live', 'live']);
    expect(completedActions(first, 'http.fetch').map((event) => event.recorded)).toEqual([undefined, undefined]);
    expect(first.cache).toMatchObject({ recorded: 0, hits: 0 });
    // The bot's own headers went to the server.
    expect(server.requests[0]).toMatchObject({ method: 'GET', path: '/search?q=paris', authorization: `Bearer ${searchKey}` });
    // Only what decides the answer is in the params: no key.
    expect(startedActions(first, 'http.fetch')[0]?.params).toEqual({ method: 'GET', url: `${server.url}/search?q=paris`, headers: { accept: 'application/json' }, body: null });
    expect(startedActions(first, 'http.fetch')[1]?.params).toEqual({
      method: 'POST',
      url: `${server.url}/notes`,
      headers: { 'content-type': 'application/json' },
      body: '{"note":"paris"}',
    });

    const second = await space.run(bot, { mode: 'replay', strict: true, input: 'paris' });
    expect(second.error).toBeUndefined();
    expect((second.result.output as { search: unknown }).search).toEqual({ hit: 3, query: 'paris', echo: null });
    expect(sources(second, 'http.fetch')).toEqual(['live', 'live']);
    expect(server.requests).toHaveLength(4);
  });

  it("is recorded and replayed when the config's cache.actions names it; the key stays out of the file", async () => {
    const server = await startSearchServer();
    const space = workspace();
    writeFileSync(join(space.cwd, 'rehearse.config.json'), JSON.stringify({ cache: { actions: ['llm.message', 'http.fetch'] } }));
    const bot = searchBot(server.url);

    const recorded = await space.run(bot, { mode: 'replay', input: 'oslo' });
    expect(recorded.error).toBeUndefined();
    expect(sources(recorded, 'http.fetch')).toEqual(['live', 'live']);
    expect(recorded.cache).toMatchObject({ recorded: 2 });
    expect(server.requests).toHaveLength(2);
    await server.close();

    const replayed = await space.run(bot, { mode: 'replay', strict: true, input: 'oslo' });
    expect(replayed.error).toBeUndefined();
    // The recorded answer, headers included.
    expect(replayed.result.output).toEqual({
      status: 200,
      took: '3ms',
      cookie: null,
      search: { hit: 1, query: 'oslo', echo: null },
      note: { hit: 2, query: null, echo: '{"note":"oslo"}' },
    });
    expect(sources(replayed, 'http.fetch')).toEqual(['cache', 'cache']);
    expect(server.requests).toHaveLength(2);

    const bytes = cacheBytes(space.cachePath);
    expect(bytes).toContain('x-search-took');
    expect(bytes).not.toContain(searchKey);
    expect(bytes).not.toContain('session=abc123');
    expect(JSON.stringify(recorded.events)).not.toContain(searchKey);

    // Another body is another request: a strict miss names it.
    const other = await space.run(bot, { mode: 'replay', strict: true, input: 'bergen' });
    expect(other.error?.code).toBe('CACHE_STRICT_MISS');
    expect(other.error?.message).toContain('bot "searcher" called http.fetch with params that have no recording');
  });

  it('is mockable: a text body, a JSON body, or { status, headers, body }', async () => {
    const bot = sdkBot('mocked-fetcher', async (ctx) => {
      const text = await ctx.fetch('https://example.invalid/robots.txt');
      const json = await ctx.fetch('https://example.invalid/api/items', { headers: { accept: 'application/json' } });
      const missing = await ctx.fetch('https://example.invalid/api/items/9', { method: 'DELETE' });
      return {
        text: { status: text.status, type: text.headers.get('content-type'), body: await text.text() },
        json: { status: json.status, type: json.headers.get('content-type'), body: await json.json() },
        missing: { status: missing.status, ok: missing.ok, trace: missing.headers.get('x-trace'), body: await missing.text() },
      };
    });
    const result = await workspace().run(bot, {
      mode: 'manual',
      mocks: {
        'http.fetch': [
          { status: 'success', output: 'User-agent: *\nDisallow: /' },
          { status: 'success', output: { items: [{ id: 1, name: 'kettle' }], total: 1 } },
          { status: 'success', output: { status: 404, headers: { 'content-type': 'text/plain', 'x-trace': 'tr-42' }, body: 'no item 9' } },
        ],
      },
    });
    expect(result.error).toBeUndefined();
    expect(result.result.output).toEqual({
      text: { status: 200, type: 'text/plain; charset=utf-8', body: 'User-agent: *\nDisallow: /' },
      json: { status: 200, type: 'application/json', body: { items: [{ id: 1, name: 'kettle' }], total: 1 } },
      missing: { status: 404, ok: false, trace: 'tr-42', body: 'no item 9' },
    });
    expect(sources(result, 'http.fetch')).toEqual(['mock', 'mock', 'mock']);
    expect(startedActions(result, 'http.fetch').map((event) => (event.params as { method: string }).method)).toEqual(['GET', 'GET', 'DELETE']);
  });

  it('a missing mock fails the run with MOCK_MISSING, and the request never leaves', async () => {
    const server = await startSearchServer();
    const result = await workspace().run(searchBot(server.url), { mode: 'manual', mocks: {} });
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('http.fetch');
    expect(server.requests).toHaveLength(0);
  });
  it('a missing mock under an SDK that wraps the rejected fetch (openai models.list) is still reported as MOCK_MISSING', async () => {
    const bot = sdkBot('models-lister', async (ctx) => {
      const client = new OpenAI({ apiKey: 'k', baseURL: 'http://127.0.0.1:9/v1', fetch: ctx.fetch, maxRetries: 0 });
      return (await client.models.list()).data.length;
    });
    const result = await workspace().run(bot, { mode: 'manual', mocks: {} });
    expect(result.error?.code).toBe('MOCK_MISSING');
    expect(result.error?.message).toContain('http.fetch');
  });
});
