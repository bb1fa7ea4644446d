import { ActionFailedError } from '../errors.js';
import { replayStream } from './stream-replay.js';
import type { ModeStrategy } from './types.js';

/** Serves every action from the developer's mocks; a missing mock is an error, never a live call. */
export const manualMode: ModeStrategy = {
  name: 'manual',
  needs: { cache: false, mocks: true },
  failedSource: () => 'mock',
  async perform(call, run) {
    const { definition, params } = call;
    if (!run.mocks) throw new Error('manual mode was started without a mock server'); // invoke() always makes one
    const { response } = await run.mocks.serve(definition.type, params, definition.exampleOutput);
    if (response.status === 'error') {
      const error: { message: string; code?: string; status?: number } = typeof response.error === 'string' ? { message: response.error } : response.error;
      throw new ActionFailedError(definition.type, 'mock', error.message, {
        ...(error.code && { hint: `error code: ${error.code}`, errorCode: error.code }),
        ...(error.status !== undefined && { httpStatus: error.status }),
      });
    }
    const output = definition.expandMockOutput ? definition.expandMockOutput(response.output, params, { ...(response.usage && { usage: response.usage }) }) : response.output;
    replayStream(call, output);
    return {
      source: 'mock',
      output,
      usage: response.usage ?? definition.usageOf?.(output, params),
      costUsd: response.cost_usd ?? 0,
    };
  },
};
