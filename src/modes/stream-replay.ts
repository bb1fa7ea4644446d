import type { StreamDelta } from '../actions/types.js';
import type { ActionCall } from './types.js';

/**
 * A streamed call served from a recording or a mock emits its pieces too, so code that consumes the
 * stream runs the same in every mode: the recorded pieces when there are some, else the output cut up.
 */
export function replayStream(call: ActionCall, output: unknown, recorded?: () => readonly StreamDelta[] | undefined): void {
  const { definition, params } = call;
  if (!definition.streams?.(params)) return;
  for (const delta of recorded?.() ?? definition.deltasOf?.(output, params) ?? []) call.emitDelta(delta);
}
