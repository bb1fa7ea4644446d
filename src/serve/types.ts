import type { ModeName } from '../config/resolve.js';

/** How `startServer` (and `rehearse serve`) is set up; anything left out comes from rehearse.config.json `serve`, then the defaults. */
export interface ServeOptions {
  /** 8787 by default; 0 picks a free port. */
  port?: number;
  /** 127.0.0.1 by default. Binding another address without a token is allowed, with a warning. */
  host?: string;
  /** The config file; ./rehearse.config.json (or REHEARSE_CONFIG) by default. */
  configPath?: string;
  /** The org every invocation and thread of this server belongs to. */
  org?: string;
  /** The replay cache file. */
  cachePath?: string;
  /** The local state file (sessions, runs, the memory index). */
  statePath?: string;
  /** Bodies above this many bytes are refused with 413; 1 MiB by default. */
  maxBodyBytes?: number;
  /** Invocations per client and window: "60/min", "10/s", or { requests, windowMs }. Unlimited by default. */
  rateLimit?: string | RateLimit;
  /** Invocations a client may have running at once. Unlimited by default. */
  maxConcurrency?: number;
  /**
   * Every request but /health needs `Authorization: Bearer <token>`; REHEARSE_SERVER_TOKEN by default.
   * Several tokens, comma-separated, are several clients, each with its own rate and concurrency limits.
   */
  token?: string;
  /** Let request bodies name files on the server's disk (`files[].path`, a `mocks` path). Off by default. */
  allowFilePaths?: boolean;
  /** Async tasks kept in memory: at most `max` (1000), each finished one for `ttlMs` (1 hour). */
  tasks?: { max?: number; ttlMs?: number };
  /** The folder relative paths start from; the process's by default. */
  cwd?: string;
  /** The environment invocations read REHEARSE_* settings and provider keys from; process.env by default. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Where warnings and internal errors (with their stack) go; stderr by default. */
  log?: (line: string) => void;
}

export interface RateLimit {
  requests: number;
  windowMs: number;
}

export interface RunningServer {
  /** `http://127.0.0.1:8787`, with the port actually bound. */
  url: string;
  port: number;
  host: string;
  /** Stops accepting requests, cancels running invocations and tasks, and closes every connection. */
  close(): Promise<void>;
}

/** Every error answer: `{ error: { code, message, status } }`, plus `retry_after` (seconds) on a 429. */
export interface ErrorBody {
  error: { code: string; message: string; status: number; retry_after?: number };
}

/** The answer of `POST /v1/agents/{agent_id}/invoke`, also the `result` event of a stream and the `result` of a finished task. */
export interface InvokeResponseBody {
  /** The request id (also the `x-request-id` header). */
  id: string;
  status: 'completed' | 'failed';
  /** The bot's output (a string or JSON); null when the invocation failed. */
  result: unknown;
  /** Pass either back as `thread_id` / `session_id` to continue the conversation. */
  thread_id: string;
  session_id: string;
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
  metadata: {
    /** Seconds. */
    execution_time: number;
    agent_id: string;
    agent_version: string;
    request_id: string;
    invocation_id: string;
    mode: ModeName;
    cost_usd: number;
    cache: { hits: number; misses: number; recorded: number; saved_cost_usd: number };
    llm: Array<{ provider: string; model: string; reasoning_effort: string | null; calls: number }>;
  };
  error: null | { code: string; message: string; hint?: string };
}

export type TaskStatus = 'pending' | 'executing' | 'completed' | 'failed' | 'stopped';

/** The answer of `GET /v1/tasks/{id}`. */
export interface TaskBody {
  task_id: string;
  agent_id: string;
  status: TaskStatus;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  /** The sync answer once the invocation has ended (also for a stopped one); null before. */
  result: InvokeResponseBody | null;
  /** Why the task failed or stopped: the invocation's error, or why it could not start. */
  error: null | { code: string; message: string; status?: number };
}
