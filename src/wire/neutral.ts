import type { LlmMessageOutput } from '../actions/llm-types.js';
import type { WireCodec, WireResponse } from './types.js';

/**
 * Each answer's neutral output, made once: an answer is read in several places (its price when it
 * is recorded, the neutral result of ctx.llm.message, the run's message, the pieces of a replayed
 * stream), and every one of them asks here. Keyed by the answer object itself, so it is forgotten
 * with it; answers are not changed once received (what is recorded is what was answered).
 */
const neutralOfAnswer = new WeakMap<WireResponse, LlmMessageOutput>();

/** The neutral output of one API's whole answer. */
export function neutralOf(codec: WireCodec, answer: WireResponse): LlmMessageOutput {
  let neutral = neutralOfAnswer.get(answer);
  if (!neutral) {
    neutral = codec.toNeutral(answer);
    neutralOfAnswer.set(answer, neutral);
  }
  return neutral;
}
