import { ActionParamsError, LiveExecutorMissingError } from '../errors.js';
import { codeExecAction } from './codeexec.js';
import { llmMessageAction } from './llm-message.js';
import { memoryAddAction, memorySearchAction } from './memory.js';
import { actionTypes, registerAction } from './registry.js';
import type { ActionDefinition } from './types.js';

function objectParams(type: string) {
  return (params: unknown): Record<string, unknown> => {
    if (params === null || typeof params !== 'object' || Array.isArray(params)) {
      throw new ActionParamsError(type, 'params must be an object.');
    }
    return params as Record<string, unknown>;
  };
}

/**
 * Types whose live executors are not part of this version: they can be mocked and replayed from
 * recordings already, and a live run says plainly that it cannot run them.
 */
function withoutLiveExecutor(type: string, description: string, exampleOutput: unknown): ActionDefinition<Record<string, unknown>> {
  return {
    type,
    description,
    validate: objectParams(type),
    run: () => Promise.reject(new LiveExecutorMissingError(type)),
    exampleOutput,
  };
}

// A second copy of rehearse in the same process (see registry.ts) must not undo a user's override.
const registered = new Set(actionTypes());
function registerBuiltin<Params, Output>(definition: ActionDefinition<Params, Output>): void {
  if (!registered.has(definition.type)) registerAction(definition);
}

registerBuiltin(llmMessageAction);
registerBuiltin(codeExecAction);
registerBuiltin(memorySearchAction);
registerBuiltin(memoryAddAction);
