import { describe, expect, it } from 'vitest';
import { parseRateLimit, RateLimiter } from '../../src/serve/rate-limit.js';
import { call, mockedBody, startTestServer } from './support.js';

describe('parseRateLimit', () => {
  it('reads <requests>/<window>', () => {
    expect(parseRateLimit('60/min')).toEqual({ requests: 60, windowMs: 60_000 });
    expect(parseRateLimit('10/s')).toEqual({ requests: 10, windowMs: 1000 });
    expect(parseRateLimit('1000/hour')).toEqual({ requests: 1000, windowMs: 3_600_000 });
    expect(parseRateLimit('5/10s')).toEqual({ requests: 5, windowMs: 10_000 });
    for (const bad of ['60', '0/min', 'x/min', '60/fortnight', '-1/s']) expect(() => parseRateLimit(bad)).toThrow(/is not <requests>\/<window>/);
  });
});

describe('RateLimiter', () => {
  it('lets a client burst to the limit, then refills at the limit per window, each client apart', () => {
    let now = 0;
    const limiter = new RateLimiter({ requests: 3, windowMs: 60_000 }, () => now);
    for (let i = 0; i < 3; i++) limiter.take('a');
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ status: 429, code: 'RATE_LIMIT_EXCEEDED', retryAfterSeconds: 20 }));
    limiter.take('b');
    now = 19_000;
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ retryAfterSeconds: 1 }));
    now = 20_000;
    limiter.take('a');
    expect(() => limiter.take('a')).toThrow(expect.objectContaining({ retryAfterSeconds: 20 }));
  });
});

describe('429 RATE_LIMIT_EXCEEDED', () => {
  it('answers with retry_after in the body and a Retry-After header once a client is over its rate', async () => {
    const server = await startTestServer({ rateLimit: '2/min' });
    for (let i = 0; i < 2; i++) expect((await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody(`hi ${i}`, 'ok') })).status).toBe(200);
    const refused = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('one more', 'ok') });
    expect(refused.status).toBe(429);
    expect(refused.body).toEqual({ error: { code: 'RATE_LIMIT_EXCEEDED', message: expect.stringContaining('at most 2 invocations per 60 s'), status: 429, retry_after: expect.any(Number) } });
    // A token comes back every 30 s; the two calls before took some of that already.
    expect(refused.body.error.retry_after).toBeGreaterThanOrEqual(1);
    expect(refused.body.error.retry_after).toBeLessThanOrEqual(30);
    expect(refused.headers.get('retry-after')).toBe(String(refused.body.error.retry_after));
    // The limit counts invocations; reading is not limited.
    expect((await call(server, 'GET', '/v1/agents')).status).toBe(200);
  });

  it('counts per bearer token, and refuses a request without it before it spends any', async () => {
    const server = await startTestServer({ rateLimit: '1/min', token: 'only-token' });
    expect((await call(server, 'POST', '/v1/agents/echo-bot/invoke', { token: 'only-token', body: mockedBody('hi', 'ok') })).status).toBe(200);
    expect((await call(server, 'POST', '/v1/agents/echo-bot/invoke', { token: 'only-token', body: mockedBody('hi', 'ok') })).status).toBe(429);
    // A request without the token is refused before it could spend anything.
    expect((await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok') })).status).toBe(401);
  });

  it('gives each of several tokens (comma-separated) its own budget, and refuses any other token', async () => {
    const server = await startTestServer({ rateLimit: '1/min', token: 'team-a, team-b' });
    const invoke = (token: string) => call(server, 'POST', '/v1/agents/echo-bot/invoke', { token, body: mockedBody('hi', 'ok') });
    expect((await invoke('team-a')).status).toBe(200);
    expect((await invoke('team-a')).status).toBe(429);
    // team-b has spent nothing yet.
    expect((await invoke('team-b')).status).toBe(200);
    expect((await invoke('team-b')).status).toBe(429);
    expect((await invoke('team-c')).status).toBe(401);
  });

  it('answers 429 when a client already runs its maximum of invocations at once, and frees the slot when one ends', async () => {
    const server = await startTestServer({ maxConcurrency: 1 });
    const started = await call(server, 'POST', '/v1/agents/slow-bot/invoke/async', { body: { query: 'wait', mode: 'manual' } });
    expect(started.status).toBe(202);
    const refused = await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok') });
    expect(refused.status).toBe(429);
    expect(refused.body.error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', message: expect.stringContaining('at most 1 invocations at once'), retry_after: 1 });
    expect(refused.headers.get('retry-after')).toBe('1');
    await call(server, 'POST', `/v1/tasks/${started.body.task_id}/stop`);
    expect((await call(server, 'POST', '/v1/agents/echo-bot/invoke', { body: mockedBody('hi', 'ok') })).status).toBe(200);
  });
});
