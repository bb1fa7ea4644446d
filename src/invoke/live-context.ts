import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LiveContext } from '../actions/types.js';
import type { ResolvedConfig } from '../config/resolve.js';
import type { EventLog } from './events.js';

export interface InvocationResources {
  live: LiveContext;
  /** Runs every cleanup (newest first) and removes the sandbox; never throws. */
  close(): Promise<void>;
}

/**
 * What live executors get for one invocation: its signal, environment, org and settings, a sandbox
 * folder made on first use, and cleanups that run when the invocation ends.
 */
export function createLiveContext(fields: {
  config: ResolvedConfig;
  env: Readonly<Record<string, string | undefined>>;
  signal: AbortSignal;
  events: EventLog;
  botPath: string;
  datasets: readonly string[];
  /** A named session's folder, kept between its invocations; otherwise a temporary one is made and removed. */
  sandboxDir: string | undefined;
}): InvocationResources {
  const { config, events, botPath } = fields;
  const cleanups: Array<() => void | Promise<void>> = [];
  const warned = new Set<string>();
  let sandbox: Promise<string> | undefined;

  const live: LiveContext = {
    signal: fields.signal,
    env: fields.env,
    org: config.org,
    settings: {
      root: config.root,
      statePath: config.statePath,
      datasetsDir: config.datasetsDir,
      datasets: fields.datasets,
      prices: config.prices,
      llm: config.llm,
    },
    warn(message) {
      if (warned.has(message)) return;
      warned.add(message);
      events.emit({ type: 'log', at: Date.now(), level: 'warn', bot_path: botPath, message });
    },
    sandbox() {
      const kept = fields.sandboxDir;
      sandbox ??= kept
        ? mkdir(kept, { recursive: true }).then(() => kept)
        : mkdtemp(join(tmpdir(), 'rehearse-sandbox-')).then((dir) => {
            cleanups.push(() => rm(dir, { recursive: true, force: true }));
            return dir;
          });
      return sandbox;
    },
    onClose(cleanup) {
      cleanups.push(cleanup);
    },
    // Replaced per action by the dispatcher, which knows the action's id.
    emitDelta() {},
  };

  return {
    live,
    async close() {
      for (const cleanup of cleanups.reverse()) {
        try {
          await cleanup();
        } catch (error) {
          live.warn(`A cleanup failed at the end of the invocation: ${(error as Error).message}`);
        }
      }
    },
  };
}
