import { randomUUID } from 'node:crypto';
import type { LlmMessage } from '../actions/llm-types.js';
import type { ResolvedConfig } from '../config/resolve.js';
import { appendSessionTurn, checkSessionId, loadSessionHistory, recordInvocation, sessionSandboxDir } from '../sessions/index.js';
import type { InvocationRecord } from '../sessions/index.js';
import { recordCacheHits } from '../state/cache-usage.js';
import type { ActionCompletedEvent, RehearseEvent } from './events.js';
import { cacheIdentity } from '../cache/open.js';
import { isRehearseError } from '../errors.js';

export interface OpenedSession {
  sessionId: string;
  /** The conversation so far: empty for a new session. */
  history: LlmMessage[];
  /** A named session keeps its sandbox folder between invocations; a new unnamed one does not. */
  sandboxDir: string | undefined;
}

/** Continues the session the caller named, or starts a new one. */
export function openSession(config: ResolvedConfig, sessionId: string | undefined): OpenedSession {
  if (sessionId === undefined) return { sessionId: `sess_${randomUUID()}`, history: [], sandboxDir: undefined };
  checkSessionId(sessionId);
  return {
    sessionId,
    history: loadSessionHistory(config.statePath, config.org, sessionId),
    sandboxDir: sessionSandboxDir(config.statePath, config.org, sessionId),
  };
}

export interface FinishedInvocation extends Omit<InvocationRecord, 'steps' | 'org'> {
  prompt: string;
  /** The bot's answer as text, for the session's history. */
  answer: string | null;
  events: readonly RehearseEvent[];
  /** Replay hits by key, for the state file's per-entry usage (what `rehearse cache stats` and pruning read). */
  cacheHits: ReadonlyMap<string, number>;
}

/**
 * Writes the run's record and, when it completed, its turn of the session, to the local state
 * file. The run already happened: a state file that cannot be written is a warning, not a failure.
 */
export function saveInvocation(config: ResolvedConfig, finished: FinishedInvocation, warn: (message: string) => void): void {
  const { prompt, answer, events, cacheHits, ...record } = finished;
  try {
    recordInvocation(config.statePath, {
      ...record,
      org: config.org,
      steps: events
        .filter((event): event is ActionCompletedEvent => event.type === 'action.completed')
        .map((event) => ({
          action_type: event.action_type,
          source: event.source,
          status: event.status,
          duration_ms: event.duration_ms,
          cost_usd: event.cost_usd,
          bot_path: event.bot_path,
          ...(event.saved_cost_usd !== undefined && { saved_cost_usd: event.saved_cost_usd }),
        })),
    });
    recordCacheHits(config.statePath, cacheIdentity(config), config.org, cacheHits);
    if (record.status === 'completed') {
      appendSessionTurn(config.statePath, { org: config.org, sessionId: record.sessionId, botId: record.botId, user: prompt || null, assistant: answer });
    }
  } catch (error) {
    const reason = isRehearseError(error) ? `${error.message} ${error.hint ?? ''}`.trim() : `${config.statePath}: ${(error as Error).message}`;
    warn(`This run was not saved, so \`rehearse runs\`, \`rehearse usage\` and its session will not show it. ${reason}`);
  }
}
