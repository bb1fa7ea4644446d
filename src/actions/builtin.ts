import { codeExecAction } from './codeexec.js';
import { httpFetchAction } from './http-fetch.js';
import { llmMessageAction } from './llm-message.js';
import { memoryAddAction, memorySearchAction } from './memory.js';
import { actionTypes, registerAction } from './registry.js';
import type { ActionDefinition } from './types.js';

// A second copy of rehearse in the same process (see registry.ts) must not undo a user's override.
const registered = new Set(actionTypes());
function registerBuiltin<Params, Output>(definition: ActionDefinition<Params, Output>): void {
  if (!registered.has(definition.type)) registerAction(definition);
}

registerBuiltin(llmMessageAction);
registerBuiltin(codeExecAction);
registerBuiltin(memorySearchAction);
registerBuiltin(memoryAddAction);
registerBuiltin(httpFetchAction);
