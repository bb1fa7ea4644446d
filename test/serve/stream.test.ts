import { describe, expect, it } from 'vitest';
import { parseServerSentEvents, type ServerSentEvent } from '../../src/wire/sse.js';
import { listRuns } from '../../src/sessions/index.js';
import { call, replayBody, startTestServer, type TestServer } from './support.js';

async function openStream(server: TestServer, agent: string, body: unknown, signal?: AbortSignal): Promise<Response> {
  return fetch(`${server.url}/v1/agents/${agent}/invoke/stream`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
    body: JSON.stringify(body),
    ...(signal && { signal }),
  });
}

async function readAll(response: Response): Promise<ServerSentEvent[]> {
  const events: ServerSentEvent[] = [];
  for await (const event of parseServerSentEvents(response.body!)) events.push(event);
  return events;
}

describe('POST /v1/agents/{agent_id}/invoke/stream', () => {
  it('sends each event as it happens, then the result (the sync answer), then done', async () => {
    const server = await startTestServer();
    const response = await openStream(server, 'support-bot', replayBody());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    const events = await readAll(response);
    const names = events.map((event) => event.event);
    expect(names[0]).toBe('invocation.started');
    expect(names.slice(-3)).toEqual(['invocation.completed', 'result', 'done']);
    expect(names.filter((name) => name === 'action.started')).toHaveLength(4);
    for (const event of events.slice(0, -2)) expect(JSON.parse(event.data).type).toBe(event.event);

    const hits = events.filter((event) => event.event === 'action.completed').map((event) => JSON.parse(event.data));
    expect(hits.filter((hit) => hit.action_type === 'llm.message').map((hit) => hit.source)).toEqual(['cache', 'cache']);
    const result = JSON.parse(events.at(-2)!.data);
    expect(result).toMatchObject({ id: response.headers.get('x-request-id'), status: 'completed', result: { category: 'billing' }, usage: { total_tokens: 313 } });
    expect(JSON.parse(events.at(-1)!.data)).toEqual({ id: result.id });
  });

  it('ends a failed invocation with its result too', async () => {
    const server = await startTestServer();
    const events = await readAll(await openStream(server, 'support-bot', replayBody('Never recorded')));
    expect(events.map((event) => event.event).slice(-2)).toEqual(['result', 'done']);
    expect(JSON.parse(events.at(-2)!.data)).toMatchObject({ status: 'failed', error: { code: 'CACHE_STRICT_MISS' } });
  });

  it('answers a request it cannot start with a JSON error, not a stream', async () => {
    const server = await startTestServer();
    const response = await openStream(server, 'support-bot', replayBody('hi', { thread_id: 'a..b' }));
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_REQUEST');
    const missing = await openStream(server, 'support-bot', {});
    expect(missing.status).toBe(400);
  });

  it('cancels the invocation when the client disconnects', async () => {
    const server = await startTestServer();
    const client = new AbortController();
    const response = await openStream(server, 'slow-bot', { query: 'wait for ever', mode: 'manual' }, client.signal);
    const seen: string[] = [];
    try {
      for await (const event of parseServerSentEvents(response.body!)) {
        seen.push(event.event ?? '');
        // The bot is running once it has logged; now hang up.
        if (event.event === 'log') client.abort();
      }
    } catch (error) {
      expect((error as Error).name).toBe('AbortError');
    }
    expect(seen[0]).toBe('invocation.started');
    expect(seen.at(-1)).toBe('log');
    expect(seen).not.toContain('result');
    // The cancelled run is recorded as failed, well before the bot's 600 s wait.
    let runs = listRuns(server.statePath, 'default');
    for (let tries = 0; runs.length === 0 && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      runs = listRuns(server.statePath, 'default');
    }
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ botId: 'slow-bot', status: 'failed', error: expect.stringContaining('INVOCATION_CANCELLED') });
    expect(runs[0]!.error).toContain('The client disconnected.');
    // The server goes on serving.
    expect((await call(server, 'GET', '/health')).status).toBe(200);
  });
});
