import type { IncomingMessage, ServerResponse } from 'node:http';

/** What a route handler gets: the request, its answer, the path's named parts, and who is asking. */
export interface RouteRequest {
  req: IncomingMessage;
  res: ServerResponse;
  params: Readonly<Record<string, string>>;
  requestId: string;
  /** The client as the limits count it (its token, or its address); set after authentication. */
  client: string;
}

export type RouteHandler = (request: RouteRequest) => Promise<void> | void;

interface Route {
  method: string;
  /** Literal segments, and `:name` for a named part. */
  segments: string[];
  handler: RouteHandler;
  /** Reachable without a token (/health). */
  public: boolean;
}

export type RouteMatch =
  | { kind: 'found'; handler: RouteHandler; params: Record<string, string>; public: boolean }
  | { kind: 'wrong-method'; allowed: string[] }
  | { kind: 'none' };

function splitPath(path: string): string[] {
  return path.split('/').filter((segment) => segment !== '');
}

function matchSegments(pattern: readonly string[], segments: readonly string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [index, part] of pattern.entries()) {
    const segment = segments[index]!;
    if (part.startsWith(':')) {
      try {
        params[part.slice(1)] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    } else if (part !== segment) return undefined;
  }
  return params;
}

/** Method + path patterns (`/v1/tasks/:task_id`); a path known under other methods answers 405, not 404. */
export class Router {
  private readonly routes: Route[] = [];

  add(method: string, pattern: string, handler: RouteHandler, options: { public?: boolean } = {}): this {
    this.routes.push({ method, segments: splitPath(pattern), handler, public: options.public ?? false });
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const segments = splitPath(path);
    const allowed: string[] = [];
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', handler: route.handler, params, public: route.public };
      allowed.push(route.method);
    }
    return allowed.length > 0 ? { kind: 'wrong-method', allowed } : { kind: 'none' };
  }
}
