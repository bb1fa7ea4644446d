import type { BotDirectory } from './bot-directory.js';
import type { ConcurrencyLimiter } from './concurrency.js';
import type { RateLimiter } from './rate-limit.js';
import type { ServerSettings } from './settings.js';
import type { TaskStore } from './tasks.js';

/** What every route shares for the life of one server. */
export interface ServerContext {
  settings: ServerSettings;
  bots: BotDirectory;
  tasks: TaskStore;
  rateLimiter: RateLimiter | undefined;
  concurrency: ConcurrencyLimiter | undefined;
  /** Aborted when the server closes, which cancels every invocation still running. */
  closing: AbortSignal;
}
