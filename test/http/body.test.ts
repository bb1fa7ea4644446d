/**
 * Reading a request body, as the server and the agents' endpoint both do (src/http/body.ts), over real
 * HTTP on 127.0.0.1: a JSON object is read whole; anything else is an HttpError a client can act on.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonObject } from '../../src/http/body.js';
import { HttpError } from '../../src/http/http-error.js';
import { sendJson } from '../../src/http/json.js';

const limit = 4096;
let server: Server;
let url = '';

beforeAll(async () => {
  // Answers what readJsonObject made of the body: the object, or the error's status, code and message.
  server = createServer((req, res) => {
    readJsonObject(req, limit).then(
      (body) => sendJson(res, 200, { body }),
      (error: unknown) => {
        if (!(error instanceof HttpError)) return sendJson(res, 500, { unexpected: String(error) });
        sendJson(res, error.status, { code: error.code, message: error.message }, error.headers);
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

async function post(body: string, contentType = 'application/json'): Promise<{ status: number; json: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

describe('readJsonObject', () => {
  it('reads a JSON object', async () => {
    expect(await post('{"query":"hi","n":[1,2]}')).toMatchObject({ status: 200, json: { body: { query: 'hi', n: [1, 2] } } });
  });

  it.each([
    ['an empty body', '', 'The body is empty'],
    ['text that is not JSON', '{"query":', 'The body is not valid JSON'],
    ['a JSON array', '[1,2]', 'The body must be a JSON object'],
    ['a JSON string', '"hi"', 'The body must be a JSON object'],
    ['null', 'null', 'The body must be a JSON object'],
  ])('%s: 400 INVALID_REQUEST saying so', async (_what, body, message) => {
    const answer = await post(body);
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe('INVALID_REQUEST');
    expect(answer.json.message).toContain(message);
  });

  it('a form body that is not JSON: the message names the Content-Type it came with', async () => {
    const answer = await post('query=hi', 'application/x-www-form-urlencoded');
    expect(answer.status).toBe(400);
    expect(answer.json.message).toContain('Content-Type: application/x-www-form-urlencoded');
  });

  it('JSON nested past 100 levels: 400 saying so, not a stack overflow; 100 levels are read', async () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    expect((await post(`{"x":${nested(99)}}`)).status).toBe(200);
    const answer = await post(`{"x":${nested(150)}}`);
    expect(answer.status).toBe(400);
    expect(answer.json.message).toContain('nested more than 100 levels deep');
  });

  it('a body over the limit: 413 PAYLOAD_TOO_LARGE naming the limit, and the connection is closed', async () => {
    const answer = await post(JSON.stringify({ query: 'x'.repeat(limit * 2) }));
    expect(answer.status).toBe(413);
    expect(answer.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', message: `The body is larger than the limit of ${limit} bytes.` });
    expect(answer.headers.get('connection')).toBe('close');
  });
});
