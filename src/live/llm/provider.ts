import type { LiveContext } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../../actions/llm-types.js';
import { ProviderStreamError } from '../../errors.js';
import type { TransportSettings } from './transport.js';

/** One LLM API behind the neutral params and output. Streamed pieces go to `live.emitDelta` as they arrive. */
export interface LlmProvider {
  name: string;
  generate(params: LlmMessageParams, live: LiveContext, settings: TransportSettings): Promise<LlmMessageOutput>;
}

/** Reads a streamed body; a connection dropped mid-stream becomes a clear error (unless the invocation was cancelled). */
export async function readStream<T>(provider: string, live: LiveContext, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (live.signal.aborted) throw live.signal.reason ?? error;
    if (error instanceof Error && 'code' in error && 'hint' in error) throw error; // already ours
    throw new ProviderStreamError(provider, (error as Error).message);
  }
}

/** Parses one JSON payload of a stream; a malformed one is a broken stream, not a crash. */
export function parseStreamPayload<T>(provider: string, data: string): T {
  try {
    return JSON.parse(data) as T;
  } catch {
    throw new ProviderStreamError(provider, `an event is not JSON: ${data.slice(0, 200)}`);
  }
}
