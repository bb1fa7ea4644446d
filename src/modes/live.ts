import { LiveExecutorMissingError } from '../errors.js';
import type { ActionCall, ModeOutcome, ModeStrategy, RunState } from './types.js';

/** Runs the action for real. Replay mode uses this for misses and for types it does not cache. */
export async function performLive(call: ActionCall, run: RunState): Promise<ModeOutcome> {
  const { definition, params } = call;
  if (!definition.run) throw new LiveExecutorMissingError(definition.type);
  const outcome = await definition.run(params, { ...run.live, emitDelta: call.emitDelta });
  return { source: 'live', output: outcome.output, usage: outcome.usage, costUsd: outcome.costUsd ?? 0 };
}

export const liveMode: ModeStrategy = { name: 'live', perform: performLive };
