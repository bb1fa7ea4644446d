import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { InvokeResult, RehearseEvent } from '../../src/index.js';
import { tempDir } from '../support/temp.js';

export const repoRoot = resolve(import.meta.dirname, '../..');
export const fixtures = join(import.meta.dirname, 'fixtures');
/** Nothing listens on the discard port: a live call there fails at once, never leaving the machine. */
export const deadProvider = 'http://127.0.0.1:9/v1';

/**
 * The environment an invocation reads (invoke's `env` replaces process.env): PATH and HOME, a state
 * file of the test's own (runs are recorded there, not in the developer's), and `extra`.
 */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    REHEARSE_STATE: join(tempDir('rehearse-agents-state-'), 'state.sqlite'),
    ...extra,
  };
}

type LogEvent = Extract<RehearseEvent, { type: 'log' }>;
type ActionCompleted = Extract<RehearseEvent, { type: 'action.completed' }>;

/** The lines the agent wrote to its stderr, as log events. */
export function stderrLines(result: InvokeResult): string[] {
  return result.events
    .filter((event): event is LogEvent => event.type === 'log' && (event.data as { stream?: string } | undefined)?.stream === 'stderr')
    .map((event) => event.message);
}

export function completedActions(result: InvokeResult): ActionCompleted[] {
  return result.events.filter((event): event is ActionCompleted => event.type === 'action.completed');
}

/**
 * Whether a process still exists. A zombie (exited, not yet reaped by whoever adopted it) counts as
 * gone: it runs nothing and holds nothing but its slot in the process table.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (existsSync(stat)) {
    const state = /\) (\S)/.exec(readFileSync(stat, 'utf8'))?.[1];
    if (state === 'Z' || state === 'X') return false;
  }
  return true;
}

/** Waits until `check` holds, up to `ms`; returns whether it did. */
export async function eventually(check: () => boolean, ms = 3000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((done) => setTimeout(done, 25));
  }
  return check();
}
