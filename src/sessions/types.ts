import type { ModeName } from '../config/resolve.js';

/** A conversation kept in the state file, as listed. */
export interface SessionInfo {
  id: string;
  org: string;
  /** The bot that started the session. */
  botId: string;
  /** ISO 8601, UTC. */
  createdAt: string;
  updatedAt: string;
  turns: number;
  /** The first thing the user said, to tell sessions apart in a listing. */
  firstPrompt: string | null;
}

/** One message of a session, oldest first; `turn` counts from 1. */
export interface SessionMessage {
  turn: number;
  role: 'user' | 'assistant';
  content: string;
  at: string;
}

export interface SessionDetail extends SessionInfo {
  messages: SessionMessage[];
}

/** One turn to append: what the user said and what the bot answered (either may be missing). */
export interface SessionTurn {
  org: string;
  sessionId: string;
  botId: string;
  user: string | null;
  assistant: string | null;
  /** When the turn happened (ISO text, ms since the epoch, or a Date); now when left out. */
  at?: string | number | Date;
}

/** One action of a recorded invocation. */
export interface RunStep {
  action_type: string;
  source: 'live' | 'cache' | 'mock';
  duration_ms: number;
  cost_usd: number;
  status: 'success' | 'error';
  /** Which bot ran it (`support-bot > refund-checker` for a sub-agent). */
  bot_path?: string;
  /** On a cache hit: what the recorded call cost. */
  saved_cost_usd?: number;
}

/** One invocation, as recorded when it ends. */
export interface InvocationRecord {
  id: string;
  sessionId: string;
  org: string;
  botId: string;
  botVersion: string;
  mode: ModeName;
  status: 'completed' | 'failed';
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  /** What the cache hits of this run would have cost live. */
  savedCostUsd: number;
  durationMs: number;
  error: string | null;
  /** ISO 8601 (stored in UTC). */
  startedAt: string;
  steps: RunStep[];
}

/** A point in time: ISO 8601 text or milliseconds since the epoch. */
export type Since = string | number;

export interface RunFilter {
  botId?: string;
  status?: 'completed' | 'failed';
  /** Only runs started at or after this. */
  since?: Since;
  /** At most this many, newest first (all when left out). */
  limit?: number;
}

export interface UsageFilter {
  /** One org's runs; every org's when left out. */
  org?: string;
  botId?: string;
  since?: Since;
}

export type UsageGroup = 'bot' | 'day';

export interface UsageRow {
  /** The bot id, or the day (YYYY-MM-DD, UTC); 'total' on the total row. */
  key: string;
  invocations: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  savedCostUsd: number;
}

export interface UsageTotals {
  groupBy: UsageGroup;
  /** By bot id (A to Z), or by day (oldest first). */
  rows: UsageRow[];
  total: UsageRow;
}
