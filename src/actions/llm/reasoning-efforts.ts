import type { ReasoningEffort } from '../llm-types.js';

/** The reasoning levels a run may ask for; each API's module says how its requests carry them. */
export const reasoningEfforts: readonly ReasoningEffort[] = ['minimal', 'low', 'medium', 'high'];
