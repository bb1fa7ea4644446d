import type { LiveContext, LiveOutcome } from '../actions/types.js';
import { parseServerSentEvents } from './sse.js';
import { callCost } from '../live/llm/prices.js';
import { postToProvider, transportSettings } from '../live/llm/transport.js';
import { isRehearseError, ProviderError, ProviderStreamError } from '../errors.js';
import type { ProviderApi } from '../providers/types.js';
import { neutralOf } from './neutral.js';
import type { WireTarget } from './target.js';
import type { WireBody, WireResponse } from './types.js';

/** Where the bytes of a live stream go as they arrive: the SDK that asked for them. */
export interface StreamPassthrough {
  /** The provider answered 2xx and its stream begins. */
  open(): void;
  write(chunk: Uint8Array): void;
}

function hintFor(api: string, target: WireTarget) {
  if (target.hintFor) return target.hintFor;
  return (status: number): string | undefined => {
    if (status === 401 || status === 403) return `Check the API key your SDK (or rehearse's environment, for an agent run as a command) sends to ${target.url.origin}.`;
    if (status === 404) return `Check the base URL and the model name of this ${api} call (${target.url.href}).`;
    return undefined;
  };
}

/**
 * Sends an SDK's request body on to the provider as it was made (retries, timeout and the
 * invocation's signal as for every live call) and reads the answer into the whole JSON answer the
 * provider gives unstreamed, which is what gets recorded. A stream's bytes are handed on to the SDK
 * untouched while its pieces become action.delta events.
 */
export async function forwardWire(api: ProviderApi, body: WireBody, target: WireTarget, live: LiveContext, passthrough?: StreamPassthrough): Promise<LiveOutcome<WireResponse>> {
  const { codec, providerLabel: provider } = api;
  const stream = body.stream === true;
  const headers = { ...target.headers, 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json' };
  const response = await postToProvider({ provider, url: target.url, headers, body, hintFor: hintFor(api.name, target) }, live, transportSettings(live));
  let output: WireResponse;
  if (stream) {
    passthrough?.open();
    const reader = codec.streamReader();
    output = await readStream(provider, live, async () => {
      async function* handedOn(): AsyncGenerator<Uint8Array> {
        for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
          passthrough?.write(new Uint8Array(chunk));
          yield chunk;
        }
      }
      for await (const event of parseServerSentEvents(handedOn())) for (const delta of reader.add(event)) live.emitDelta(delta);
      return reader.finish();
    });
  } else {
    const text = await readStream(provider, live, () => response.body.text());
    const parsed = parseAnswer(text);
    if (parsed === undefined) throw new ProviderError(provider, response.statusCode, `the answer is not JSON: ${text.slice(0, 200)}`);
    if (!codec.isResponse(parsed)) throw new ProviderError(provider, response.statusCode, `the answer is not a ${api.name} response: ${text.slice(0, 200)}`);
    output = parsed;
  }
  const neutral = neutralOf(api.codec, output);
  return { output, usage: neutral.usage, costUsd: callCost(live, typeof body.model === 'string' ? body.model : neutral.model, neutral.model, neutral.usage) };
}

/** Reads a body; a connection dropped mid-way becomes a clear error (unless the invocation was cancelled). */
async function readStream<T>(provider: string, live: LiveContext, read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    if (live.signal.aborted) throw live.signal.reason ?? error;
    if (isRehearseError(error)) throw error;
    throw new ProviderStreamError(provider, (error as Error).message);
  }
}

function parseAnswer(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
