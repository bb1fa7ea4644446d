/**
 * One line of the run summary: what one invocation from a test did. Workers are separate threads or
 * processes, so each appends its lines to the file the reporter provides (JSON Lines, one short append
 * per invocation, which O_APPEND keeps whole), and the reporter reads them all at the end of the run.
 */
import { appendFileSync } from 'node:fs';
import type { ModeName } from '../config/resolve.js';
import type { ActionCompletedEvent } from '../invoke/events.js';
import { shellQuote } from '../invoke/input.js';
import type { InvokeResult } from '../invoke/types.js';

export interface StrictMissRecord {
  bot: string;
  actionType: string;
  key: string | null;
  /** The first line of the miss: what was asked that has no recording. */
  message: string;
  /** The command that records it, read from the error's hint. */
  command: string | null;
}

export interface InvocationRecord {
  /** `describe > test`, or null for an invocation outside a test (in beforeAll). */
  test: string | null;
  /** The test file, relative to the vitest root. */
  file: string | null;
  bot: string;
  mode: ModeName;
  org: string;
  status: 'completed' | 'failed';
  error: { code: string; message: string } | null;
  hits: number;
  misses: number;
  recorded: number;
  savedCostUsd: number;
  costUsd: number;
  strictMisses: StrictMissRecord[];
  /** With strict misses: the command that re-runs this test in replay mode, not strict, to record them. */
  rerun: string | null;
}

/** Where an invocation ran: the test's suite and test names, and its file relative to the vitest root. */
export interface InvocationPlace {
  names: string[] | null;
  file: string | null;
}

export const strictMissCode = 'CACHE_STRICT_MISS';

/** The record command in a strict miss's hint: its `npx rehearse ...` line. */
export function recordCommandOf(hint: string | undefined): string | null {
  return hint === undefined ? null : (/^\s*(npx rehearse .+)$/m.exec(hint)?.[1]?.trim() ?? null);
}

/** Every strict miss of a run, including one the bot caught, from its action.completed events. */
export function strictMissesOf(result: Pick<InvokeResult, 'events' | 'error' | 'bot'>): StrictMissRecord[] {
  const misses = result.events
    .filter((event): event is ActionCompletedEvent => event.type === 'action.completed' && event.error?.code === strictMissCode)
    .map((event) => ({
      bot: event.bot_path,
      actionType: event.action_type,
      key: event.cache_key ?? null,
      message: event.error?.message.split('\n')[0] ?? '',
      command: recordCommandOf(event.error?.hint),
    }));
  if (misses.length === 0 && result.error?.code === strictMissCode) {
    misses.push({ bot: result.bot.key, actionType: 'unknown', key: null, message: result.error.message.split('\n')[0] ?? '', command: recordCommandOf(result.error.hint) });
  }
  return misses;
}

/**
 * The command that records what a test's strict replay missed: the test alone, in replay mode without
 * strict, with the same org and cache. It always works, also for a bot the CLI cannot find by its key.
 */
export function rerunCommand(place: InvocationPlace, env: Readonly<Record<string, string | undefined>>): string | null {
  if (!place.names || !place.file) return null;
  const pattern = `(^| )${place.names.join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
  const settings = ['REHEARSE_ORG', 'REHEARSE_CACHE', 'REHEARSE_CONFIG']
    .filter((name) => env[name])
    .map((name) => `${name}=${shellQuote(env[name] ?? '')}`);
  return ['REHEARSE_MODE=replay', ...settings, 'npx vitest run', shellQuote(place.file), '-t', shellQuote(pattern)].join(' ');
}

export function recordOf(result: InvokeResult, place: InvocationPlace, env: Readonly<Record<string, string | undefined>>): InvocationRecord {
  const strictMisses = strictMissesOf(result);
  return {
    test: place.names?.join(' > ') ?? null,
    file: place.file,
    bot: result.bot.key,
    mode: result.mode,
    org: result.org,
    status: result.status,
    error: result.error ? { code: result.error.code, message: result.error.message.split('\n')[0] ?? '' } : null,
    hits: result.cache.hits,
    misses: result.cache.misses,
    recorded: result.cache.recorded,
    savedCostUsd: result.cache.savedCostUsd,
    costUsd: result.costUsd,
    strictMisses,
    rerun: strictMisses.length > 0 ? rerunCommand(place, env) : null,
  };
}

export function appendRecord(file: string, record: InvocationRecord): void {
  appendFileSync(file, `${JSON.stringify(record)}\n`);
}
