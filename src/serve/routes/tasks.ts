import type { ServerContext } from '../context.js';
import { notFound } from '../../http/http-error.js';
import { sendJson } from '../../http/json.js';
import type { RouteHandler, RouteRequest } from '../router.js';
import type { Task } from '../tasks.js';

function taskNamed(context: ServerContext, request: RouteRequest): Task {
  const id = request.params.task_id!;
  const task = context.tasks.get(id);
  if (!task) throw notFound('TASK_NOT_FOUND', `No task "${id}". Tasks live in the server's memory until ${context.settings.taskTtlMs / 1000} s after they finish, and not across restarts.`);
  return task;
}

/** `GET /v1/tasks/{task_id}`: where the task is, and its result once it has one. */
export function getTaskRoute(context: ServerContext): RouteHandler {
  return (request) => sendJson(request.res, 200, context.tasks.body(taskNamed(context, request)));
}

/**
 * `POST /v1/tasks/{task_id}/stop`: cancels the invocation and answers once it has ended (status
 * `stopped`, its result carrying INVOCATION_CANCELLED). A finished task is answered as it is.
 */
export function stopTaskRoute(context: ServerContext): RouteHandler {
  return async (request) => {
    const task = taskNamed(context, request);
    context.tasks.stop(task, 'Stopped through POST /v1/tasks/{id}/stop.');
    await task.done;
    sendJson(request.res, 200, context.tasks.body(task));
  };
}
