import type { LlmMessageParams } from '../llm-types.js';
import type { LlmProviderName, LlmSettings } from '../types.js';
import { chooseProvider } from '../../live/llm/select.js';
import { isWireParams } from '../llm-wire.js';
import { describeWireCall } from './wire-overrides.js';

/** One model as a run used it: the result's `llm`. */
export interface LlmUse {
  provider: LlmProviderName;
  /** The model asked for (a provider may answer with a dated name; the request is what was chosen). */
  model: string;
  reasoningEffort: string | null;
  calls: number;
}

/**
 * Tallies the llm.message calls of one run by provider, model and reasoning effort, from the params as
 * sent (after overrides), in every mode alike: a cached or mocked call reports what it stands for.
 */
export class LlmReport {
  private readonly uses = new Map<string, LlmUse>();

  constructor(private readonly settings: LlmSettings) {}

  note(params: unknown): void {
    const used = isWireParams(params) ? describeWireCall(params) : this.describe(params as LlmMessageParams);
    const key = JSON.stringify([used.provider, used.model, used.reasoningEffort]);
    const known = this.uses.get(key);
    if (known) known.calls++;
    else this.uses.set(key, { ...used, calls: 1 });
  }

  /** Distinct uses, in the order of their first call. */
  list(): LlmUse[] {
    return [...this.uses.values()].map((use) => ({ ...use }));
  }

  private describe(params: LlmMessageParams): Omit<LlmUse, 'calls'> {
    return { provider: chooseProvider(params, this.settings), model: params.model, reasoningEffort: params.reasoning_effort ?? null };
  }
}
