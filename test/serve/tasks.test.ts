import { describe, expect, it } from 'vitest';
import { TaskStore } from '../../src/serve/tasks.js';
import { call, replayBody, startTestServer, type TestServer } from './support.js';

async function pollUntil(server: TestServer, pollUrl: string, done: (status: string) => boolean): Promise<{ body: Record<string, any>; seen: string[] }> {
  const seen: string[] = [];
  for (let tries = 0; tries < 500; tries++) {
    const { status, body } = await call(server, 'GET', pollUrl);
    expect(status).toBe(200);
    if (seen.at(-1) !== body.status) seen.push(body.status);
    if (done(body.status)) return { body, seen };
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`${pollUrl} never reached the status waited for; seen ${seen.join(', ')}`);
}

describe('POST /v1/agents/{agent_id}/invoke/async and /v1/tasks', () => {
  it('answers 202 with a task at once, and the task is polled to completion with the sync answer as its result', async () => {
    const server = await startTestServer();
    const accepted = await call(server, 'POST', '/v1/agents/support-bot/invoke/async', { body: replayBody() });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toEqual({ task_id: expect.stringMatching(/^task_/), status: 'pending', poll_url: `/v1/tasks/${accepted.body.task_id}` });
    expect(accepted.headers.get('location')).toBe(accepted.body.poll_url);

    const { body, seen } = await pollUntil(server, accepted.body.poll_url, (status) => status === 'completed' || status === 'failed');
    expect(seen.at(-1)).toBe('completed');
    expect(seen.every((status) => ['pending', 'executing', 'completed'].includes(status))).toBe(true);
    expect(body).toMatchObject({
      task_id: accepted.body.task_id,
      agent_id: 'support-bot',
      status: 'completed',
      error: null,
      result: { id: accepted.headers.get('x-request-id'), status: 'completed', result: { category: 'billing' }, usage: { total_tokens: 313 } },
    });
    const created = Date.parse(body.created_at);
    const started = Date.parse(body.started_at);
    const finished = Date.parse(body.finished_at);
    expect(created).toBeLessThanOrEqual(started);
    expect(started).toBeLessThanOrEqual(finished);
  });

  it('stops a running task midway: status stopped, its result carrying the cancellation', async () => {
    const server = await startTestServer();
    const accepted = await call(server, 'POST', '/v1/agents/slow-bot/invoke/async', { body: { query: 'wait for ever', mode: 'manual' } });
    await pollUntil(server, accepted.body.poll_url, (status) => status === 'executing');
    const stopped = await call(server, 'POST', `/v1/tasks/${accepted.body.task_id}/stop`);
    expect(stopped.status).toBe(200);
    expect(stopped.body).toMatchObject({
      status: 'stopped',
      finished_at: expect.any(String),
      result: { status: 'failed', result: null, error: { code: 'INVOCATION_CANCELLED' } },
      error: { code: 'INVOCATION_CANCELLED' },
    });
    expect((await call(server, 'GET', accepted.body.poll_url)).body.status).toBe('stopped');
    // Stopping it again changes nothing.
    expect((await call(server, 'POST', `/v1/tasks/${accepted.body.task_id}/stop`)).body).toEqual(stopped.body);
  });

  it('leaves a finished task as it was when asked to stop it', async () => {
    const server = await startTestServer();
    const accepted = await call(server, 'POST', '/v1/agents/slow-bot/invoke/async', { body: { query: 'short', mode: 'manual', parameters: { wait_ms: 1 } } });
    const { body } = await pollUntil(server, accepted.body.poll_url, (status) => status === 'completed');
    expect(body.result.result).toBe('waited 1 ms');
    expect((await call(server, 'POST', `/v1/tasks/${accepted.body.task_id}/stop`)).body).toEqual(body);
  });

  it('fails a task that cannot start, with the error the sync endpoint would have answered', async () => {
    const server = await startTestServer();
    const accepted = await call(server, 'POST', '/v1/agents/support-bot/invoke/async', { body: replayBody('hi', { timeout_ms: 900_000 }) });
    const { body } = await pollUntil(server, accepted.body.poll_url, (status) => status === 'failed');
    expect(body).toMatchObject({ status: 'failed', result: null, error: { code: 'INVALID_REQUEST', status: 400, message: expect.stringContaining('at most 600000') } });
  });

  it('is 404 TASK_NOT_FOUND for a task it does not know', async () => {
    const server = await startTestServer();
    for (const [method, path] of [['GET', '/v1/tasks/task_nope'], ['POST', '/v1/tasks/task_nope/stop']] as const) {
      const answer = await call(server, method, path);
      expect(answer.status).toBe(404);
      expect(answer.body.error).toMatchObject({ code: 'TASK_NOT_FOUND', status: 404 });
    }
  });

  it('cancels running tasks when the server closes', async () => {
    const server = await startTestServer();
    const accepted = await call(server, 'POST', '/v1/agents/slow-bot/invoke/async', { body: { query: 'wait for ever', mode: 'manual' } });
    await pollUntil(server, accepted.body.poll_url, (status) => status === 'executing');
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('TaskStore', () => {
  it('keeps at most max tasks, pushing out the oldest finished one, and refuses when all are running', () => {
    const store = new TaskStore(2, 60_000, () => 0);
    const first = store.create('a');
    const second = store.create('a');
    expect(() => store.create('a')).toThrow(expect.objectContaining({ status: 429, code: 'RATE_LIMIT_EXCEEDED' }));
    store.finish(second, { result: null, error: null });
    const third = store.create('a');
    expect(store.get(second.id)).toBeUndefined();
    expect(store.get(first.id)).toBe(first);
    expect(store.get(third.id)).toBe(third);
  });

  it('forgets a finished task ttl after it finished, never a running one', () => {
    let now = 0;
    const store = new TaskStore(10, 1000, () => now);
    const finished = store.create('a');
    const running = store.create('a');
    now = 500;
    store.finish(finished, { result: null, error: null });
    now = 1499;
    expect(store.get(finished.id)).toBe(finished);
    now = 1500;
    expect(store.get(finished.id)).toBeUndefined();
    now = 10_000_000;
    expect(store.get(running.id)).toBe(running);
  });
});
