import { invoke } from '../../invoke/invoke.js';
import type { ServerContext } from '../context.js';
import { toHttpError } from '../error-mapping.js';
import { prepareInvocation, type PreparedInvocation } from '../invocation.js';
import { invokeResponseBody } from '../invoke-response.js';
import { sendJson } from '../../http/json.js';
import type { RouteHandler } from '../router.js';
import type { Task } from '../tasks.js';

/** Runs a task's invocation to its end and records how it ended; never rejects. */
async function runTask(context: ServerContext, task: Task, prepared: PreparedInvocation, requestId: string): Promise<void> {
  try {
    const result = await invoke(prepared.bot, {
      ...prepared.options,
      signal: AbortSignal.any([context.closing, task.controller.signal]),
      printEvents: (event) => {
        if (event.type === 'invocation.started') context.tasks.markExecuting(task);
      },
    });
    const body = invokeResponseBody(result, requestId, prepared.options);
    context.tasks.finish(task, { result: body, error: body.error });
  } catch (error) {
    // It could not start (a bad session id, timeout or mocks): what the sync route would have answered.
    const failure = toHttpError(error, requestId, context.settings.log);
    context.tasks.finish(task, { result: null, error: { code: failure.code, message: failure.message, status: failure.status } });
  } finally {
    prepared.release();
  }
}

/** `POST /v1/agents/{agent_id}/invoke/async`: 202 with a task id at once; the invocation runs on. */
export function invokeAsyncRoute(context: ServerContext): RouteHandler {
  return async (request) => {
    const prepared = await prepareInvocation(context, request);
    let task: Task;
    try {
      task = context.tasks.create(prepared.bot.key);
    } catch (error) {
      prepared.release();
      throw error;
    }
    const pollUrl = `/v1/tasks/${task.id}`;
    // Answered before the run begins: a run starts synchronously, and the task is pending until it does.
    sendJson(request.res, 202, { task_id: task.id, status: task.status, poll_url: pollUrl }, { location: pollUrl });
    task.done = runTask(context, task, prepared, request.requestId);
  };
}
