import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authenticate } from './auth.js';
import { BotDirectory } from './bot-directory.js';
import { ConcurrencyLimiter } from './concurrency.js';
import type { ServerContext } from './context.js';
import { toHttpError } from './error-mapping.js';
import { HttpError } from '../http/http-error.js';
import { RateLimiter } from './rate-limit.js';
import { sendError } from './respond.js';
import type { Router } from './router.js';
import { apiRoutes } from './routes/index.js';
import { isLoopback, serverSettings } from './settings.js';
import { TaskStore } from './tasks.js';
import type { RunningServer, ServeOptions } from './types.js';
import { ServeListenError } from '../errors.js';

/** The path of the request line; a target no URL parser reads is the client's fault, not a 500. */
function requestPath(req: IncomingMessage): string {
  try {
    return new URL(req.url ?? '/', 'http://localhost').pathname;
  } catch {
    throw new HttpError(400, 'INVALID_REQUEST', 'The request target is not a valid path.');
  }
}

async function handle(context: ServerContext, router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = `req_${randomUUID()}`;
  res.setHeader('x-request-id', requestId);
  try {
    const path = requestPath(req);
    const match = router.match(req.method ?? 'GET', path);
    // Everything but /health needs the token first, so a client without it learns nothing, not even which paths exist.
    const client = match.kind === 'found' && match.public ? 'public' : authenticate(req, context.settings.tokens);
    if (match.kind === 'none') throw new HttpError(404, 'NOT_FOUND', `No endpoint ${req.method} ${path}. See docs/API.md for the endpoints.`);
    if (match.kind === 'wrong-method') {
      throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${path} takes ${match.allowed.join(', ')}, not ${req.method}.`, { headers: { allow: match.allowed.join(', ') } });
    }
    await match.handler({ req, res, params: match.params, requestId, client });
  } catch (error) {
    // A client that hung up mid-request (an aborted upload) is not the server's fault: nothing to answer, nothing to log.
    if (req.destroyed && (req.readableAborted || res.destroyed)) return;
    sendError(res, toHttpError(error, requestId, context.settings.log));
  }
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => reject(new ServeListenError(host, port, error)));
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      resolve(server.address() as AddressInfo);
    });
  });
}

/**
 * Starts the invoke HTTP API (docs/API.md) and resolves once it listens. Options win over
 * rehearse.config.json `serve`, which wins over the defaults (127.0.0.1:8787, 1 MiB bodies, no limits).
 */
export async function startServer(options: ServeOptions = {}): Promise<RunningServer> {
  const settings = serverSettings(options);
  const closing = new AbortController();
  const context: ServerContext = {
    settings,
    bots: new BotDirectory(settings.config),
    tasks: new TaskStore(settings.maxTasks, settings.taskTtlMs),
    rateLimiter: settings.rateLimit && new RateLimiter(settings.rateLimit),
    concurrency: settings.maxConcurrency === undefined ? undefined : new ConcurrencyLimiter(settings.maxConcurrency),
    closing: closing.signal,
  };
  const router = apiRoutes(context);
  const server = createServer((req, res) => void handle(context, router, req, res));
  const address = await listen(server, settings.port, settings.host);
  if (!isLoopback(settings.host) && settings.tokens === undefined) {
    settings.log(`rehearse serve: warning: listening on ${settings.host} without a token; anyone who can reach it can run agents. Set REHEARSE_SERVER_TOKEN.`);
  }
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostInUrl}:${address.port}`,
    port: address.port,
    host: address.address,
    close() {
      closed ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        closing.abort(new Error('The server is closing.'));
        await context.tasks.stopAll('The server is closing.');
        server.closeIdleConnections();
        // Running sync and stream requests were cancelled above; give their answers a moment to go out.
        const grace = setTimeout(() => server.closeAllConnections(), 1000);
        await stopped;
        clearTimeout(grace);
      })();
      return closed;
    },
  };
}
