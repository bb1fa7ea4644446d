import { LiveExecutorMissingError } from '../errors.js';
import type { ActionCall, ModeOutcome, ModeStrategy, RunState } from './types.js';

/** Runs the action for real. Replay mode uses this for misses and for types it does not cache. */
export async function performLive(call: ActionCall, run: RunState): Promise<ModeOutcome> {
  const { definition, params } = call;
  const live = { ...run.live, emitDelta: call.emitDelta };
  const outcome = call.runLive ? await call.runLive(live, params) : definition.run ? await definition.run(params, live) : undefined;
  if (!outcome) throw new LiveExecutorMissingError(definition.type);
  return { source: 'live', output: outcome.output, usage: outcome.usage, costUsd: outcome.costUsd ?? 0 };
}

export const liveMode: ModeStrategy = {
  name: 'live',
  needs: { cache: false, mocks: false },
  perform: performLive,
  failedSource: () => 'live',
};
