import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LiveContext } from '../actions/types.js';
import { readBody } from '../http/body.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/json.js';
import { exchangeWire, type SdkCaller } from '../sdk/exchange.js';
import { apiOfRequest, providerApis, type ProviderApi } from '../providers/registry.js';

/** Big enough for any chat history with images inline; a runaway body still stops somewhere. */
const maxBodyBytes = 64 * 1024 * 1024;

const loopback = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Whether an API is served under this path: its own prefix, so `/openai/v1/messages` is not taken for Anthropic. */
function servedUnder(api: ProviderApi, pathname: string): boolean {
  return pathname.startsWith(`${api.endpointPrefix}/`);
}

export interface AgentEndpoint {
  /**
   * What the agent's environment gets, each API's base URL variable set to its prefix on this
   * endpoint (OPENAI_BASE_URL=http://127.0.0.1:<port>/openai/v1) and its key variable to `token`.
   */
  env: Record<string, string>;
  /** This run's key: the agent gets it in every API's key variable, and a request without it is refused. */
  token: string;
  close(): Promise<void>;
}

/** Whether a POST to this path would be an LLM call the endpoint serves (its prefix and its API agree). */
function servedPath(pathname: string, headers: Headers): boolean {
  const api = apiOfRequest(new URL(pathname, 'http://127.0.0.1'), 'POST', headers);
  return api !== undefined && servedUnder(api, pathname);
}

/** What is wrong with a request body that is not a JSON object (undefined when it is one). */
function bodyProblem(text: string): string | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return text.trim() === '' ? 'the body is empty' : `the body is not JSON (${(error as Error).message})`;
  }
  if (value === null || typeof value !== 'object') return `the body is ${value === null ? 'null' : `a ${typeof value}`}`;
  return Array.isArray(value) ? 'the body is an array' : undefined;
}

/** Whether a request carries the run's key, the way a client of any registered API sends it (Bearer, x-api-key, ...). */
function carriesToken(headers: Headers, token: string): boolean {
  const expected = Buffer.from(token);
  const given = providerApis().map((api) => api.sentKey(headers)).filter((value): value is string => typeof value === 'string');
  return given.some((value) => {
    const bytes = Buffer.from(value);
    return bytes.length === expected.length && timingSafeEqual(bytes, expected);
  });
}

/** Every path the endpoint serves, for a 404 that says what would have worked. */
function servedPaths(): string {
  const paths = providerApis().map((api) => `${api.endpointPrefix}${api.path}`);
  return paths.length > 1 ? `${paths.slice(0, -1).join(', ')} and ${paths.at(-1)}` : paths.join('');
}

function keyVariables(): string[] {
  return [...new Set(providerApis().map((api) => api.agentEnv.apiKey))];
}

/** Each API's base URL variable pointed at its prefix here, each key variable holding the run's token. */
function agentVariables(origin: string, token: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const api of providerApis()) {
    env[api.agentEnv.baseUrl] = `${origin}${api.endpointPrefix}`;
    env[api.agentEnv.apiKey] = token;
  }
  return env;
}

async function sendAnswer(response: ServerResponse, answer: Response): Promise<void> {
  const headers: Record<string, string> = {};
  answer.headers.forEach((value, name) => (headers[name] = value));
  response.writeHead(answer.status, headers);
  if (answer.body) {
    for await (const chunk of answer.body as unknown as AsyncIterable<Uint8Array>) response.write(chunk);
  }
  response.end();
}

/**
 * A local endpoint for one run of an agent process: it speaks the OpenAI and Anthropic HTTP APIs
 * on 127.0.0.1 (a random port, loopback clients only), and answers every call through the
 * invocation's dispatcher, so the agent's own SDK records, replays and is mocked unawares. Live,
 * calls go on to the provider that rehearse's environment names, with rehearse's key.
 */
export async function startAgentEndpoint(caller: SdkCaller, live: LiveContext): Promise<AgentEndpoint> {
  // Live, this endpoint spends rehearse's provider key: only the agent it was started for may use it.
  const token = `rehearse-local-${randomBytes(24).toString('base64url')}`;
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      if (!response.headersSent) sendJson(response, 500, { error: { message: `rehearse's local endpoint failed: ${(error as Error).message}`, type: 'server_error' } });
      else response.destroy(error as Error);
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    if (!loopback.has(request.socket.remoteAddress ?? '')) {
      sendJson(response, 403, { error: { message: 'rehearse serves agents on this machine only.', type: 'forbidden' } });
      return;
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) if (typeof value === 'string') headers.set(name, value);
    if (!carriesToken(headers, token)) {
      sendJson(response, 401, {
        error: {
          message: `rehearse's local endpoint answers only the agent process it was started for: send the key its environment holds (${keyVariables().join(' or ')}), as the SDKs do.`,
          type: 'authentication_error',
        },
      });
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const api = apiOfRequest(url, request.method ?? 'GET', headers);
    const served = api && servedUnder(api, url.pathname);
    if (!api && request.method !== 'POST' && servedPath(url.pathname, headers)) {
      // The right path with the wrong method: say which method, as rehearse serve does, rather than that nothing is there.
      sendJson(response, 405, { error: { message: `rehearse's local endpoint takes POST ${url.pathname}, not ${request.method}.`, type: 'invalid_request_error' } }, { allow: 'POST' });
      return;
    }
    if (!api || !served) {
      sendJson(response, 404, {
        error: {
          message: `rehearse's local endpoint serves POST ${servedPaths()}; not ${request.method} ${url.pathname}.`,
          type: 'not_found_error',
        },
      });
      return;
    }
    let bodyText: string;
    try {
      bodyText = (await readBody(request, maxBodyBytes)).toString('utf8');
    } catch (error) {
      if (!(error instanceof HttpError)) throw error;
      sendJson(response, error.status, { error: { message: error.message, type: 'invalid_request_error' } }, error.headers);
      return;
    }
    const problem = bodyProblem(bodyText);
    if (problem) {
      sendJson(response, 400, { error: { message: `rehearse's local endpoint needs a JSON object as the request body: ${problem}.`, type: 'invalid_request_error' } });
      return;
    }
    const answer = await exchangeWire(caller, { api, bodyText, target: () => api.target(live.env, headers) });
    await sendAnswer(response, answer);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    env: agentVariables(`http://127.0.0.1:${port}`, token),
    token,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
