import { join, resolve } from 'node:path';
import { onTestFinished } from 'vitest';
import { startServer, type RunningServer, type ServeOptions } from '../../src/index.js';
import { tempDir } from '../support/temp.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
/** The demo bot and cache, and the test bots of fixtures/bots. */
export const testConfig = join(import.meta.dirname, 'fixtures/rehearse.config.json');
export const demoPrompt = 'I was charged twice for my order';

export interface TestServer extends RunningServer {
  statePath: string;
  /** What the server logged (warnings, internal errors with their stack). */
  logged: string[];
}

/** A server on 127.0.0.1 and a free port, with its own state file, closed when the test ends. */
export async function startTestServer(options: ServeOptions = {}): Promise<TestServer> {
  const statePath = join(tempDir('rehearse-serve-'), 'state.sqlite');
  const logged: string[] = [];
  const server = await startServer({
    port: 0,
    configPath: testConfig,
    statePath,
    log: (line) => logged.push(line),
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    ...options,
  });
  onTestFinished(() => server.close());
  return Object.assign(server, { statePath, logged });
}

export interface Answer<Body = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: Body;
}

/** One request, its JSON answer parsed. `body` is sent as JSON unless it is already a string. */
export async function call<Body = Record<string, any>>(
  server: RunningServer,
  method: string,
  path: string,
  options: { body?: unknown; token?: string; headers?: Record<string, string> } = {},
): Promise<Answer<Body>> {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    ...(options.body !== undefined && { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : {}) as Body };
}

export const replayBody = (query = demoPrompt, more: Record<string, unknown> = {}) => ({ query, mode: 'replay', strict: true, ...more });

/** Manual mode with one mocked model answer for every llm.message. */
export const mockedBody = (query: string, answer: string, more: Record<string, unknown> = {}) => ({
  query,
  mode: 'manual',
  mocks: { 'llm.message': { status: 'success', output: answer } },
  ...more,
});
