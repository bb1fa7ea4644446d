/** A request body nested absurdly deep is the client's mistake: 400 saying so, not a 500 from a stack overflow. */
import { describe, expect, it } from 'vitest';
import { call, startTestServer } from './support.js';

describe('a request body nested 100,000 levels deep', () => {
  it('is a 400 that says it is nested too deep, and the server goes on answering', async () => {
    const server = await startTestServer();
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const body = `{"query":"hi","mode":"manual","mocks":{"llm.message":{"status":"success","output":"x","when":${deep}}}}`;
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body });
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain('nested more than 100 levels deep');
    expect((await call(server, 'GET', '/health')).status).toBe(200);
  });

  it('a body of ordinary depth still goes through', async () => {
    const server = await startTestServer();
    const answer = await call(server, 'POST', '/v1/agents/echo-bot/invoke', {
      body: { query: 'hi', mode: 'manual', mocks: { 'llm.message': { status: 'success', output: 'fine', when: { messages: [{ content: { $contains: 'hi' } }] } } } },
    });
    expect(answer.body).toMatchObject({ status: 'completed', result: 'fine' });
  });
});
