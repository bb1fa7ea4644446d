import type { LiveContext } from '../../actions/types.js';
import type { LlmMessageOutput, LlmMessageParams } from '../../actions/llm-types.js';
import { ProviderError, ProviderStreamError } from '../../errors.js';
import { postToProvider, type ProviderCall, type TransportSettings } from './transport.js';

/** One LLM API behind the neutral params and output. Streamed pieces go to `live.emitDelta` as they arrive. */
export interface LlmProvider {
  name: string;
  generate(params: LlmMessageParams, live: LiveContext, settings: TransportSettings): Promise<LlmMessageOutput>;
}

export interface Exchange<Answer> {
  /** The provider's own headers (keys, versions); content type and accept are added here. */
  call: ProviderCall;
  readStream(body: AsyncIterable<Uint8Array>): Promise<LlmMessageOutput>;
  fromAnswer(answer: Answer): LlmMessageOutput;
}

/** One request to a provider and its answer read as a stream or as JSON: the part every provider shares. */
export async function exchange<Answer>(params: LlmMessageParams, live: LiveContext, settings: TransportSettings, spec: Exchange<Answer>): Promise<LlmMessageOutput> {
  const { provider } = spec.call;
  const headers = { 'content-type': 'application/json', accept: params.stream ? 'text/event-stream' : 'application/json', ...spec.call.headers };
  const response = await postToProvider({ ...spec.call, headers }, live, settings);
  if (params.stream) return readStream(provider, live, () => spec.readStream(response.body));
  const text = await readStream(provider, live, () => response.body.text());
  let answer: Answer;
  try {
    answer = JSON.parse(text) as Answer;
  } catch {
    throw new ProviderError(provider, response.statusCode, `the answer is not JSON: ${text.slice(0, 200)}`);
  }
  return spec.fromAnswer(answer);
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
