import { randomUUID } from 'node:crypto';
import { tooManyRequests } from '../http/http-error.js';
import type { InvokeResponseBody, TaskBody, TaskStatus } from './types.js';

export const defaultMaxTasks = 1000;
export const defaultTaskTtlMs = 60 * 60 * 1000;

export interface Task {
  readonly id: string;
  readonly agentId: string;
  status: TaskStatus;
  readonly createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  result: InvokeResponseBody | null;
  error: TaskBody['error'];
  /** Aborting it cancels the invocation. */
  readonly controller: AbortController;
  /** Settles when the invocation has ended, however it ended. */
  done: Promise<void>;
}

const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
const finishedStatuses: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'stopped']);

export function isFinished(task: Task): boolean {
  return finishedStatuses.has(task.status) && task.finishedAt !== undefined;
}

/**
 * Async tasks, in memory only (a restart forgets them). At most `max` are kept: a new task first
 * pushes out expired ones, then the oldest finished one; when all `max` are still running, a new one
 * is refused with 429. A finished task is kept `ttlMs` after it ends, then forgotten (404).
 */
export class TaskStore {
  private readonly tasks = new Map<string, Task>();

  constructor(
    private readonly max: number = defaultMaxTasks,
    private readonly ttlMs: number = defaultTaskTtlMs,
    private readonly now: () => number = Date.now,
  ) {}

  create(agentId: string): Task {
    this.sweep();
    if (this.tasks.size >= this.max) {
      const oldestFinished = [...this.tasks.values()].find(isFinished);
      if (!oldestFinished) throw tooManyRequests(`The server already runs ${this.max} async tasks; wait for some to finish.`, 1);
      this.tasks.delete(oldestFinished.id);
    }
    const task: Task = {
      id: `task_${randomUUID()}`,
      agentId,
      status: 'pending',
      createdAt: this.now(),
      startedAt: undefined,
      finishedAt: undefined,
      result: null,
      error: null,
      controller: new AbortController(),
      done: Promise.resolve(),
    };
    this.tasks.set(task.id, task);
    return task;
  }

  get(id: string): Task | undefined {
    this.sweep();
    return this.tasks.get(id);
  }

  markExecuting(task: Task): void {
    if (task.status !== 'pending') return;
    task.status = 'executing';
    task.startedAt = this.now();
  }

  /** Records how the task ended; a stopped task stays stopped whatever its invocation answered. */
  finish(task: Task, outcome: { result: InvokeResponseBody | null; error: TaskBody['error'] }): void {
    task.result = outcome.result;
    task.error = outcome.error;
    if (task.status !== 'stopped') task.status = outcome.result?.status === 'completed' ? 'completed' : 'failed';
    task.startedAt ??= task.createdAt;
    task.finishedAt = this.now();
  }

  /** Marks the task stopped and cancels its invocation; a finished task is left as it was. */
  stop(task: Task, reason: string): void {
    if (isFinished(task) || task.status === 'stopped') return;
    task.status = 'stopped';
    task.controller.abort(new Error(reason));
  }

  /** Cancels every unfinished task (when the server closes). */
  stopAll(reason: string): Promise<void[]> {
    const running = [...this.tasks.values()].filter((task) => !isFinished(task));
    for (const task of running) this.stop(task, reason);
    return Promise.all(running.map((task) => task.done));
  }

  body(task: Task): TaskBody {
    return {
      task_id: task.id,
      agent_id: task.agentId,
      status: task.status,
      created_at: iso(task.createdAt)!,
      started_at: iso(task.startedAt),
      finished_at: iso(task.finishedAt),
      result: task.result,
      error: task.error,
    };
  }

  private sweep(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const task of this.tasks.values()) {
      if (isFinished(task) && task.finishedAt! <= cutoff) this.tasks.delete(task.id);
    }
  }
}
