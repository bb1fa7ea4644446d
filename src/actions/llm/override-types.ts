import type { ReasoningEffort } from '../llm-types.js';
import type { LlmProviderName } from '../types.js';

// Types only, apart from the checks in overrides.ts: the provider modules name them, and the checks
// ask the provider registry, so with both in one file the two would import each other.

/** Overrides of every llm.message of a run, sub-agents included. */
export interface LlmOverrides {
  provider?: LlmProviderName;
  model?: string;
  reasoningEffort?: ReasoningEffort;
}

/**
 * What one invocation changes in its LLM calls. `llm` applies to every call of the run; `system` and
 * `userText` only to the invoked bot's own calls: instructions, context and files are addressed to the
 * bot that was invoked, and a sub-agent gets what its parent chooses to pass on (its input), as it would
 * without rehearse. Both strings begin with a blank line, as they are appended.
 */
export interface RunOverrides {
  llm: LlmOverrides;
  /** "# Instructions for this run" and "# Context for this run", for the system prompt; '' for none. */
  system: string;
  /** The attached files, for the first user message; '' for none (or with disableAttachmentInjection). */
  userText: string;
}
